"""System status for admins and load balancers: is each part reachable, what it holds, seeding runs."""

import logging
from typing import Any

import sqlalchemy as sa

from ...extensions import db, vector_store
from ...models import ActivityEvent, SeedRun, Song, User
from ...vectors import VectorStore
from ..accounts import audit
from ..activity.history import isoformat
from ..indexing.sync import CollectionState, collection_failed, collection_states, index_status

log = logging.getLogger(__name__)


def _failure(part: str, exc: BaseException) -> str:
    log.warning("health check: %s unavailable: %s", part, exc)
    return f"unavailable: {exc.__class__.__name__}: {exc}"[:500]


def check_database() -> str:
    """ "ok", or why the database did not answer a SELECT 1."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except Exception as exc:  # a health check reports every failure instead of raising it
        db.session.rollback()
        return _failure("database", exc)


def _where(store: VectorStore) -> str:
    """Where the store keeps its collections, for messages: a folder (and whether it is one) or a URL."""
    path = getattr(store, "path", None)
    if path is not None and path.exists() and not path.is_dir():
        return f"{path}, which is a file, not a folder"
    return str(path or getattr(store, "where", None) or store.backend)


def _collection_text(name: str, state: CollectionState, store: VectorStore) -> str:
    # No counts here: /healthz is public. The admin status page shows them (report["vectors"]).
    if state["state"] == "missing":
        return (
            f"missing: no collection {name!r} in {_where(store)}; `flask vectors sync` rebuilds it from SQL"
        )
    if state["state"] == "empty":
        return "empty: no points while SQL says it holds some; `flask vectors sync` rewrites them"
    if state["state"] == "differs":  # searches work and sync catches up: reported, not a failure
        return "differs: the point count and SQL disagree; `flask vectors sync` catches up"
    return state["state"]  # "ok", or "unreadable: why"


def check_vector_store(database_ok: bool = True) -> tuple[str, dict[str, str]]:
    """("ok" or why not, {collection: "ok" or why not}): every collection opened and counted.

    Listing collections is not enough: a missing VECTORS_PATH, a file in its place or a corrupt
    shard all list fine (as nothing) while every search fails. So each collection is opened and
    its points compared with SQL (skipped when the database is down: there is nothing to compare).
    """
    try:
        store = vector_store()
        states = collection_states(store) if database_ok else None
        if states is None:
            store.collections()
            return "ok", {}
    except Exception as exc:  # opening the store can fail in backend-specific ways too
        db.session.rollback()
        return _failure("vector store", exc), {}
    texts = {name: _collection_text(name, state, store) for name, state in states.items()}
    failed = [f"{name}: {texts[name]}" for name, state in states.items() if collection_failed(state["state"])]
    if failed:
        log.warning("health check: vector store degraded: %s", "; ".join(failed))
        return ("unavailable: " + "; ".join(failed))[:1000], texts
    return "ok", texts


def health() -> tuple[bool, dict[str, Any]]:
    """(healthy, {"status", "database", "vector_store", "collections"}) for /healthz."""
    database = check_database()
    vector_status, collections = check_vector_store(database == "ok")
    healthy = database == "ok" and vector_status == "ok"
    body = {"status": "ok" if healthy else "unavailable", "database": database, "vector_store": vector_status}
    return healthy, {**body, "collections": collections}


def _count(model: Any, *where: Any) -> int:
    # COUNT(*) always returns one row, so never None
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))  # type: ignore[return-value]


def record_seed_run(source: object) -> SeedRun:
    """Record a finished `flask seed all`, with what the database holds now."""
    run = SeedRun(
        source=str(source)[:500], songs=_count(Song), users=_count(User), activities=_count(ActivityEvent)
    )
    db.session.add(run)
    db.session.commit()
    return run


def last_seed_run() -> SeedRun | None:
    """The most recent seeding run, or None."""
    return db.session.scalar(sa.select(SeedRun).order_by(SeedRun.id.desc()).limit(1))


def seed_run_json(run: SeedRun | None) -> dict[str, Any] | None:
    """A seeding run as the API shows it, or None."""
    if run is None:
        return None
    return {
        "finished_at": isoformat(run.finished_at),
        "source": run.source,
        "songs": run.songs,
        "users": run.users,
        "activities": run.activities,
    }


def status_report(audit_limit: int = 50) -> dict[str, Any]:
    """Counts, vector index against SQL, last seeding run, reachability and the latest audit entries."""
    database = check_database()
    vector_status, collections = check_vector_store(database == "ok")
    report: dict[str, Any] = {
        "database": {"status": database},
        "vector_store": {"status": vector_status, "collections": collections},
    }
    if database != "ok":
        return report
    report["counts"] = {
        "songs": _count(Song),
        "users": _count(User),
        "active_users": _count(User, User.is_active.is_(True)),
        "admins": _count(User, User.is_admin.is_(True), User.is_active.is_(True)),
        "activities": _count(ActivityEvent),
    }
    if collections:  # the store answered: counts, stale songs and differences, even when degraded
        try:
            report["vectors"] = index_status()
        except Exception as exc:  # the store may fail between the check and the count
            report["vector_store"]["status"] = _failure("vector store", exc)
    report["last_seed_run"] = seed_run_json(last_seed_run())
    report["audit"] = [audit.entry_json(entry) for entry in audit.latest(audit_limit)]
    return report
