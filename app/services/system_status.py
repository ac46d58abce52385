"""System status for admins and load balancers: is each part reachable, what it holds, seeding runs."""

import logging

import sqlalchemy as sa

from ..extensions import db
from ..models import ActivityEvent, SeedRun, Song, User
from . import audit
from .history import isoformat
from .vector_index import vector_store
from .vector_sync import index_status

log = logging.getLogger(__name__)


def _failure(part, exc):
    log.warning("health check: %s unavailable: %s", part, exc)
    return f"unavailable: {exc.__class__.__name__}: {exc}"[:500]


def check_database():
    """"ok", or why the database did not answer a SELECT 1."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except Exception as exc:  # a health check reports every failure instead of raising it
        db.session.rollback()
        return _failure("database", exc)


def check_vector_store():
    """"ok", or why the vector store could not list its collections (a cheap call on every backend)."""
    try:
        vector_store().collections()
        return "ok"
    except Exception as exc:  # opening the store can fail in backend-specific ways too
        return _failure("vector store", exc)


def health():
    """(healthy, {"status", "database", "vector_store"}) for /healthz."""
    checks = {"database": check_database(), "vector_store": check_vector_store()}
    healthy = all(value == "ok" for value in checks.values())
    return healthy, {"status": "ok" if healthy else "unavailable", **checks}


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def record_seed_run(source):
    """Record a finished `flask seed all`, with what the database holds now."""
    run = SeedRun(source=str(source)[:500], songs=_count(Song), users=_count(User),
                  activities=_count(ActivityEvent))
    db.session.add(run)
    db.session.commit()
    return run


def last_seed_run():
    """The most recent seeding run, or None."""
    return db.session.scalar(sa.select(SeedRun).order_by(SeedRun.id.desc()).limit(1))


def seed_run_json(run):
    """A seeding run as the API shows it, or None."""
    if run is None:
        return None
    return {"finished_at": isoformat(run.finished_at), "source": run.source, "songs": run.songs,
            "users": run.users, "activities": run.activities}


def status_report(audit_limit=50):
    """Counts, vector index against SQL, last seeding run, reachability and the latest audit entries."""
    database = check_database()
    report = {"database": {"status": database}, "vector_store": {"status": check_vector_store()}}
    if database != "ok":
        return report
    report["counts"] = {
        "songs": _count(Song),
        "users": _count(User),
        "active_users": _count(User, User.is_active.is_(True)),
        "admins": _count(User, User.is_admin.is_(True), User.is_active.is_(True)),
        "activities": _count(ActivityEvent),
    }
    if report["vector_store"]["status"] == "ok":
        try:
            report["vectors"] = index_status()
        except Exception as exc:  # the store may fail between the check and the count
            report["vector_store"]["status"] = _failure("vector store", exc)
    report["last_seed_run"] = seed_run_json(last_seed_run())
    report["audit"] = [audit.entry_json(entry) for entry in audit.latest(audit_limit)]
    return report
