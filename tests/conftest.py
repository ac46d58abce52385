"""Shared fixtures: app, client, runner, auth (as in flaskr), and the shared sample files."""

import os
import re
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.services import accounts

from .fakes import HashingEmbedder

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "demo_songs.csv"


@pytest.fixture
def app_settings(tmp_path):
    """Settings for the app fixture; tests override this fixture to pick another vector backend."""
    return {"QDRANT_LOCATION": ":memory:"}


@pytest.fixture
def app(tmp_path, app_settings):
    """An app on a fresh SQLite file built by the real migrations, with a fast embedder double."""
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}", **app_settings}
    )
    app.extensions["embedder"] = HashingEmbedder()
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
        store = app.extensions.get("vector_store")
        if store is not None:
            store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url):
    """The CSRF token of the form on a page."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class AuthActions:
    """Log in and out through the real forms, CSRF token included."""

    def __init__(self, client):
        self._client = client

    def login(self, username="alice", password="correct-horse", next_url=None, follow=False):
        url = "/auth/login" + (f"?next={next_url}" if next_url else "")
        data = {"username": username, "password": password, "csrf_token": csrf_token(self._client, url)}
        if next_url is not None:
            data["next"] = next_url
        return self._client.post("/auth/login", data=data, follow_redirects=follow)

    def logout(self):
        token = csrf_token(self._client, "/songs/")
        return self._client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def user(app):
    """A registered user alice / correct-horse."""
    with app.app_context():
        return accounts.register_user("alice", "correct-horse").id


@pytest.fixture
def auth(client, user):
    return AuthActions(client)


def shared_file(variable):
    """Path from an environment variable: skip when unset, fail when set but missing."""
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"{variable} is not set; .ci/run sets it to a file under ../shared/data")
    path = Path(value)
    if not path.is_file():
        pytest.fail(f"{variable} is set to {value}, but no such file exists")
    return path


@pytest.fixture
def lyrics_sample():
    return shared_file("SPOTIFY_SAMPLE_CSV")


@pytest.fixture
def tracks_sample():
    return shared_file("SPOTIFY_TRACKS_CSV")


@pytest.fixture
def demo_songs(app):
    """The first 300 songs of the shipped demo catalog, imported."""
    from app.services.catalog_import import import_spotify_csv

    with app.app_context():
        summary = import_spotify_csv(DEMO_CATALOG, limit=300)
    assert summary.inserted > 250
    return summary


@pytest.fixture
def seeded(app, demo_songs):
    """Demo songs with vectors, eight seeded users with 25 songs of activity each, and their taste vectors."""
    from app.services import seeding
    from app.services.user_vectors import refresh_all_user_vectors
    from app.services.vector_index import embed_songs

    with app.app_context():
        seeding.seed_users(8, seed=2)
        seeding.seed_activities(per_user=25, seed=2)
        embed_songs()
        refresh_all_user_vectors()


@pytest.fixture
def site(app, client, auth, demo_songs):
    """A logged-in user (alice) with stated preferences (joy; party, driving), over an embedded catalog."""
    import sqlalchemy as sa

    from app.models import User
    from app.services.vector_index import embed_songs

    with app.app_context():
        embed_songs()
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        accounts.update_profile(alice, 30, "Parties and long drives", ["joy"], ["party", "driving"])
    auth.login()
    return client
