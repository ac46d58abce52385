"""/healthz for load balancers, and the admin status page and API: counts, index, seeding, audit log."""

import csv

import sqlalchemy as sa

from app.extensions import db, vector_store
from app.models import AuditEntry, SeedRun
from app.services.accounts import audit
from app.services.indexing.song_vectors import embed_songs
from app.services.indexing.vector_collections import ensure_collections
from app.vectors import VectorStoreError

from .admin_support import admin, admin_headers, logged_in  # noqa: F401
from .api_support import song_ids
from .conftest import DEMO_CATALOG


def _store_down(app, monkeypatch):
    with app.app_context():
        store = vector_store()

    def fail(*args, **kwargs):
        raise VectorStoreError("vector store (http://qdrant:6333): connection refused")

    monkeypatch.setattr(store, "collections", fail)


def test_healthz_follows_the_vector_store(client, app, monkeypatch):
    with app.app_context():
        ensure_collections(create=True)
    ok = client.get("/healthz")  # public: no login
    assert ok.status_code == 200 and ok.get_json() == {
        "status": "ok",
        "database": "ok",
        "vector_store": "ok",
        "collections": {"songs": "ok", "users": "ok"},
    }
    assert ok.headers["Cache-Control"] == "no-store"
    _store_down(app, monkeypatch)
    down = client.get("/healthz")
    assert down.status_code == 503
    body = down.get_json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["vector_store"].startswith("unavailable:") and "connection refused" in body["vector_store"]
    monkeypatch.undo()
    assert client.get("/healthz").status_code == 200


def test_healthz_reports_a_database_that_does_not_answer(client, app, monkeypatch):
    from app.services.ops import status

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("database is locked"))

    with app.app_context():
        monkeypatch.setattr(status.db.session, "execute", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"].startswith("unavailable:") and body["vector_store"] == "ok"


def test_status_api_reports_counts_the_index_and_stale_songs(client, app, admin_headers, user, demo_songs):
    with app.app_context():
        embed_songs()
    first = song_ids(app, 1)[0]
    client.patch(f"/api/v1/songs/{first}", json={"popularity": 5}, headers=admin_headers)
    with app.app_context():
        from app.services.indexing.song_vectors import mark_songs_unindexed

        mark_songs_unindexed([first])
    report = client.get("/api/v1/status", headers=admin_headers).get_json()
    assert report["database"] == {"status": "ok"} and report["vector_store"]["status"] == "ok"
    # The point is still there but SQL marks it unindexed: reported, yet searches work (no failure).
    assert report["vector_store"]["collections"]["songs"].startswith("differs:")
    assert report["counts"] == {
        "songs": demo_songs.inserted,
        "users": 2,
        "active_users": 2,
        "admins": 1,
        "activities": 0,
    }
    vectors = report["vectors"]
    assert (vectors["backend"], vectors["model"]) == ("qdrant-local", "hashing-test-double")
    assert vectors["dimension"] == 384
    assert vectors["songs"] == {
        "sql": demo_songs.inserted,
        "vectors": demo_songs.inserted,
        "points": demo_songs.inserted,
        "indexed": demo_songs.inserted - 1,
        "stale": 1,
        "state": "differs",
    }
    assert vectors["differences"] == [
        f"songs: {demo_songs.inserted} points, SQL says {demo_songs.inserted - 1}",
        "songs: 1 stale (`flask vectors sync` catches up)",
    ]
    assert report["last_seed_run"] is None
    assert [(e["action"], e["via"], e["target"]["id"]) for e in report["audit"]] == [
        ("song.update", "api", first)
    ]
    assert set(report["audit"][0]["details"]["changed"]) == {"popularity"}
    assert report["audit"][0]["details"]["changed"]["popularity"]["to"] == 5


def test_status_says_when_the_vector_store_is_unreachable(client, app, admin, admin_headers, monkeypatch):
    _store_down(app, monkeypatch)
    report = client.get("/api/v1/status", headers=admin_headers).get_json()
    assert report["vector_store"]["status"].startswith("unavailable:") and "vectors" not in report
    assert report["counts"]["users"] == 1
    page_client, _ = logged_in(app, "root")
    page = page_client.get("/admin/status")
    assert page.status_code == 200 and "connection refused" in page.get_data(as_text=True)


def test_seed_all_records_its_run(runner, app, tmp_path):
    small = tmp_path / "small.csv"
    with (
        open(DEMO_CATALOG, newline="", encoding="utf-8") as source,
        open(small, "w", newline="", encoding="utf-8") as out,
    ):
        writer = csv.writer(out)
        for i, row in enumerate(csv.reader(source)):
            if i > 40:
                break
            writer.writerow(row)
    result = runner.invoke(args=["seed", "all", "--songs", str(small), "--users", "3", "--per-user", "4"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        run = db.session.scalar(sa.select(SeedRun))
        assert (run.source, run.songs, run.users) == (str(small), 40, 3) and run.activities > 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SeedRun)) == 1


def test_the_status_page_shows_the_latest_50_actions_and_the_last_seeding(app, admin):
    with app.app_context():
        actor = audit.Actor(name="cli:ops", via="cli")
        for i in range(55):
            audit.record(actor, "user.promote", "user", i, f"target-{i:02d}")
        db.session.add(SeedRun(source="data/demo_songs.csv", songs=2000, users=50, activities=1500))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 55
    client, _ = logged_in(app, "root")
    page = client.get("/admin/status").get_data(as_text=True)
    assert page.count("user.promote") == 50
    assert "target-54" in page and "target-05" in page and "target-04" not in page
    assert "2000 songs, 50 users, 1500 activities" in page and "data/demo_songs.csv" in page
    assert "Database</dt><dd>ok" in page and "hashing-test-double" in page
