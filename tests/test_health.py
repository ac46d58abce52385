"""Finding 1 of issue 12: /healthz, the status page and recommendations tell the truth about the vector store.

These run on embedded Qdrant Edge in a temporary VECTORS_PATH, damaged the ways a deployment can
be: the folder gone, a file in its place, a corrupt shard config, a second process holding it,
or the points gone while SQL still holds the vectors.
"""

import shutil

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.api.legacy import DEGRADED_HEADER
from app.extensions import db, embedder, vector_store
from app.models import UserVector
from app.services.accounts.tokens import create_token
from app.services.accounts.users import register_user
from app.services.catalog.imports import import_spotify_csv
from app.services.indexing.song_vectors import embed_songs
from app.services.indexing.user_vectors import refresh_all_user_vectors
from app.vectors.edge import EdgeVectorStore
from app.vectors.schema import SONGS, USERS

from .api_support import bearer, song_ids
from .conftest import DEMO_CATALOG, AuthActions
from .fakes import HashingEmbedder


@pytest.fixture(scope="module")
def template(tmp_path_factory, module_database_uri):
    """One database and Edge index (40 demo songs, a user and an admin, their vectors and tokens).

    Built once per module and copied for each test: creating Edge shards with their payload
    indexes costs about a second, and every test damages its own copy.
    """
    root, uri = tmp_path_factory.mktemp("health"), module_database_uri("health")
    app = _app(uri, root)
    with app.app_context():
        upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=40)
        user = register_user("alice", "correct-horse")
        admin = register_user("root", "correct-horse")
        admin.is_admin = True
        db.session.commit()
        embed_songs()
        refresh_all_user_vectors()
        tokens = {
            "user": bearer(create_token(user.id, "t")[1]),
            "admin": bearer(create_token(admin.id, "t")[1]),
        }
        vector_store.close()
        db.engine.dispose()
    return root, uri, tokens


def _app(uri, root):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": uri,
            "QDRANT_LOCATION": None,
            "VECTORS_PATH": str(root / "vectors"),
        }
    )
    embedder.override(app, HashingEmbedder())
    return app


@pytest.fixture
def app(template, tmp_path, module_database_uri):
    """An app on a copy of the template's database and index (replaces conftest's app)."""
    root, uri, _ = template
    shutil.copytree(root / "vectors", tmp_path / "vectors")
    app = _app(module_database_uri("health", copy_of=uri), tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()
        vector_store.close()


@pytest.fixture
def vectors(app, tmp_path):
    """The copied VECTORS_PATH, which the test may damage before the app opens it."""
    return tmp_path / "vectors"


@pytest.fixture
def token(template):
    return template[2]["user"]


@pytest.fixture
def admin_headers(template):
    return template[2]["admin"]


def _missing(folder):
    shutil.rmtree(folder)


def _file_in_its_place(folder):
    shutil.rmtree(folder)
    folder.write_text("not a folder")


def _snapshot(folder):
    """What is at the path: the names in the folder, a file's text, or None."""
    if folder.is_dir():
        return sorted(p.name for p in folder.iterdir())
    return folder.read_text() if folder.exists() else None


def _corrupt_config(folder):
    (folder / SONGS / "edge_config.json").write_text("{not json")


DAMAGE = {
    "folder missing": (_missing, "missing", "no collection 'songs'"),
    "a file in its place": (_file_in_its_place, "missing", "which is a file, not a folder"),
    "corrupt config": (_corrupt_config, "unreadable", "edge_config.json"),
}


def test_healthz_is_ok_when_every_collection_matches_sql(client, vectors):
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["collections"] == {"songs": "ok", "users": "ok"}


@pytest.mark.parametrize("damage", DAMAGE)
def test_healthz_names_the_collection_that_failed_and_why(client, vectors, damage):
    harm, state, why = DAMAGE[damage]
    harm(vectors)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["vector_store"].startswith("unavailable: songs: " + state)
    assert body["collections"]["songs"].startswith(state + ":") and why in body["collections"]["songs"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_recommendations_degrade_and_reads_create_nothing(client, app, vectors, token, damage):
    harm, _, _ = DAMAGE[damage]
    harm(vectors)
    before = _snapshot(vectors)
    api = client.get("/api/v1/me/recommendations?approach=content&k=5", headers=token)
    assert api.status_code == 200 and api.get_json()["degraded"] is True
    assert len(api.get_json()["items"]) == 5  # the popular list instead of nothing
    user_id = client.get("/api/v1/me", headers=token).get_json()["id"]
    legacy = client.get(f"/recommendations/content_based_recommendations/{user_id}/?k=5", headers=token)
    assert legacy.status_code == 200 and legacy.headers[DEGRADED_HEADER] == "1"
    assert isinstance(legacy.get_json(), list) and len(legacy.get_json()) == 5  # the original shape
    similar = client.get(f"/api/v1/songs/{song_ids(app, 1)[0]}/similar", headers=token)
    assert similar.status_code == 200 and similar.get_json()["degraded"] is True
    assert _snapshot(vectors) == before  # no read recreated an empty shard


def test_recommendations_are_not_degraded_on_a_healthy_store(client, app, vectors, token):
    api = client.get("/api/v1/me/recommendations?approach=content&k=5", headers=token)
    assert api.status_code == 200 and api.get_json()["degraded"] is False
    user_id = client.get("/api/v1/me", headers=token).get_json()["id"]
    legacy = client.get(f"/recommendations/content_based_recommendations/{user_id}/", headers=token)
    assert legacy.status_code == 200 and legacy.headers[DEGRADED_HEADER] == "0"


def test_an_emptied_collection_counts_as_degraded_while_sql_holds_vectors(client, app, vectors, token):
    with app.app_context():
        store = vector_store()
        store.delete(SONGS, store.ids(SONGS))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["collections"]["songs"].startswith("empty:")
    api = client.get("/api/v1/me/recommendations?approach=content", headers=token).get_json()
    assert api["degraded"] is True


def test_a_second_opener_makes_healthz_fail(client, app, vectors):
    holder = EdgeVectorStore(vectors)  # another process (a CLI command, a second worker) holds it
    holder.count(SONGS)
    try:
        body = client.get("/healthz")
        assert body.status_code == 503
        assert "in use by another process" in body.get_json()["collections"]["songs"]
    finally:
        holder.close()


def test_a_write_does_not_recreate_a_lost_collection(client, app, vectors, token):
    shutil.rmtree(vectors)
    liked = client.post(
        "/api/v1/me/activities", json={"song_id": song_ids(app, 1)[0], "action": "like"}, headers=token
    )
    assert liked.status_code == 201  # the like is kept in SQL ...
    assert not vectors.exists()  # ... but no empty shard hides the loss
    user_id = client.get("/api/v1/me", headers=token).get_json()["id"]
    with app.app_context():
        assert db.session.get(UserVector, user_id).indexed is False  # left for `flask vectors sync`


def test_the_status_api_and_page_report_a_missing_collection(client, app, vectors, admin_headers):
    shutil.rmtree(vectors)
    report = client.get("/api/v1/status", headers=admin_headers).get_json()
    assert report["vector_store"]["status"].startswith("unavailable: songs: missing")
    assert report["vectors"]["songs"]["state"] == "missing" and report["vectors"]["songs"]["points"] is None
    assert "songs: collection missing" in report["vectors"]["differences"]
    with app.app_context():
        users = db.session.scalar(sa.select(sa.func.count()).select_from(UserVector))
    assert report["vectors"][USERS]["indexed"] == users
    assert AuthActions(client).login("root", "correct-horse").status_code == 302
    page = client.get("/admin/status").get_data(as_text=True)
    assert "Collection songs</dt><dd>missing: no collection" in page  # it used to say "ok", 0 points
    assert "songs: collection missing" in page and "flask vectors sync" in page
