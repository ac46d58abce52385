"""Shared fixtures: app, client, runner, auth (as in flaskr), the shared sample files, and the database.

Tests run on SQLite files by default. With SONGBIRD_TEST_DATABASE=postgresql one throwaway
PostgreSQL cluster (tests.servers) serves the whole session and every test gets a fresh database
of its own, dropped afterwards. Markers: `sqlite_only("why")` skips a test on PostgreSQL;
`postgresql_only("why")` runs it on PostgreSQL whatever the variable says (starting the cluster
when needed) and skips it, saying so, where PostgreSQL is not installed.
"""

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db, embedder, vector_store
from app.services.accounts import users

from .fakes import HashingEmbedder
from .servers import Postgres, missing_postgres, start_postgres

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "demo_songs.csv"
DATABASE_VARIABLE = "SONGBIRD_TEST_DATABASE"
BACKENDS = ("sqlite", "postgresql")
BACKEND_MARKERS = {"sqlite_only": "sqlite", "postgresql_only": "postgresql"}
_TEMPLATE = "songbird_template"
# Pinned, not inherited from the environment that started the cluster: under LANG=C PostgreSQL
# folds the case of ASCII letters only, so search results would depend on how CI was started;
# C.UTF-8 folds every letter and sorts by code point, as SQLite does.
_NEW_DATABASE = "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"


def selected_backend() -> str:
    """The database the suite runs on: SONGBIRD_TEST_DATABASE, sqlite when unset."""
    value = os.environ.get(DATABASE_VARIABLE, "").strip().lower() or "sqlite"
    if value not in BACKENDS:
        raise pytest.UsageError(f"{DATABASE_VARIABLE}={value!r}: expected one of {', '.join(BACKENDS)}")
    return value


def pytest_configure(config):
    # Registered here rather than in pytest.ini, whose settings are moving to pyproject.toml.
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test holds on SQLite only; skipped on PostgreSQL"
    )
    config.addinivalue_line(
        "markers", "postgresql_only(reason): runs on PostgreSQL whatever SONGBIRD_TEST_DATABASE says"
    )
    # A misspelt backend, or PostgreSQL asked for but not installed, stops the run before collection
    # (rather than skipping every test that uses a database).
    missing = missing_postgres() if selected_backend() == "postgresql" else None
    if missing:
        raise pytest.UsageError(f"{DATABASE_VARIABLE}=postgresql: {missing}")


def pytest_collection_modifyitems(config, items):
    backend = selected_backend()
    missing = None
    for item in items:
        for name, needs in BACKEND_MARKERS.items():
            marker = item.get_closest_marker(name)
            if marker is None:
                continue
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} needs a reason")
            if needs == "sqlite" and backend != "sqlite":
                why = f"SQLite only ({reason}); {DATABASE_VARIABLE}={backend}"
                item.add_marker(pytest.mark.skip(reason=why))
            elif needs == "postgresql":
                missing = missing if missing is not None else (missing_postgres() or "")
                if missing:
                    item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only ({reason}): {missing}"))


class PostgresDatabases:
    """One cluster for the session and a migrated template; each test gets a copy of its own.

    Copying the template (CREATE DATABASE ... TEMPLATE) costs 88 ms where creating an empty
    database and running every migration costs 216 ms (medians of 8, create_app included; SQLite's
    migrated file: 185 ms), and dropping a database 15-113 ms.
    """

    def __init__(self, server: Postgres) -> None:
        self.server = server
        self._admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self._names = itertools.count(1)
        self._execute(f"CREATE DATABASE {_TEMPLATE} {_NEW_DATABASE}")
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": server.database_url(_TEMPLATE)})
        with app.app_context():
            upgrade()
            db.engine.dispose()  # a template with a connection open cannot be copied

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as conn:
            conn.exec_driver_sql(statement)

    def create(self, migrated: bool = True) -> str:
        """A new database's name: a copy of the migrated template, or empty (migrated=False)."""
        name = f"t_{next(self._names)}"
        self._execute(f"CREATE DATABASE {name} " + (f"TEMPLATE {_TEMPLATE}" if migrated else _NEW_DATABASE))
        return name

    def drop(self, name: str) -> None:
        # FORCE ends the connections a test's background threads may still hold.
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        self._admin.dispose()
        self.server.stop()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """The session's PostgreSQL cluster, started on first use and stopped at the end of the session."""
    reason = missing_postgres()
    if reason:
        pytest.skip(reason)
    server = start_postgres()
    try:
        databases = PostgresDatabases(server)
    except BaseException:
        server.stop()
        raise
    yield databases
    databases.close()


@pytest.fixture
def database_backend(request) -> str:
    """The backend this test runs on: postgresql for postgresql_only tests, else the selected one."""
    if request.node.get_closest_marker("postgresql_only"):
        return "postgresql"
    return selected_backend()


@pytest.fixture
def database_uri(request, tmp_path, database_backend) -> Iterator[Callable[..., str]]:
    """Makes database URLs on the test's backend: `database_uri("name")`, dropped after the test.

    On SQLite a file under tmp_path (empty: the caller runs the migrations); on PostgreSQL a
    copy of the migrated template, or an empty database with migrated=False. For tests that build
    their own app instead of using the `app` fixture.
    """
    created: list[str] = []
    databases = request.getfixturevalue("postgres_databases") if database_backend == "postgresql" else None

    def make(name: str = "test", migrated: bool = True) -> str:
        if databases is None:
            return f"sqlite:///{tmp_path / name}.db"
        created.append(databases.create(migrated))
        return databases.server.database_url(created[-1])

    yield make
    for name in created:
        databases.drop(name)


@pytest.fixture(scope="module")
def module_database_uri(request, tmp_path_factory) -> Iterator[Callable[..., str]]:
    """database_uri for module-scoped fixtures (a live server's database): migrated on PostgreSQL,
    empty on SQLite (the caller's upgrade() migrates it), dropped after the module.

    `copy_of=` one of its URLs copies that database, closed first (PostgreSQL copies only a
    database nobody is connected to); the copies are dropped with the module too.
    """
    created: list[str] = []
    databases = request.getfixturevalue("postgres_databases") if selected_backend() == "postgresql" else None
    copies = itertools.count(1)

    def make(name: str = "test", copy_of: str | None = None) -> str:
        if databases is None:
            path = tmp_path_factory.mktemp(name) / f"{name}.db"
            if copy_of:  # the WAL file too, should a connection have left one
                source = Path(copy_of.removeprefix("sqlite:///"))
                for part in source.parent.glob(source.name + "*"):
                    shutil.copy(part, path.parent / part.name.replace(source.name, path.name))
            return f"sqlite:///{path}"
        if copy_of:
            source_name = copy_of.rsplit("/", 1)[1]
            created.append(f"{source_name}_{next(copies)}")
            databases._execute(f"CREATE DATABASE {created[-1]} TEMPLATE {source_name}")
        else:
            created.append(databases.create())
        return databases.server.database_url(created[-1])

    yield make
    for name in created:
        databases.drop(name)


@pytest.fixture
def app_settings(tmp_path):
    """Settings for the app fixture; tests override this fixture to pick another vector backend."""
    return {"QDRANT_LOCATION": ":memory:"}


@pytest.fixture
def app(app_settings, database_uri, database_backend):
    """An app on a fresh database built by the real migrations, with a fast embedder double."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri("test"), **app_settings})
    embedder.override(app, HashingEmbedder())
    if database_backend == "sqlite":  # a PostgreSQL database is a copy of the migrated template
        with app.app_context():
            upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
        vector_store.close(app)


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


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL statements sent on db.engine while the block runs (inside an app context)."""
    sent: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)


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
        return users.register_user("alice", "correct-horse").id


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
    from app.services.catalog.imports import import_spotify_csv

    with app.app_context():
        summary = import_spotify_csv(DEMO_CATALOG, limit=300)
    assert summary.inserted > 250
    return summary


@pytest.fixture
def seeded(app, demo_songs):
    """Demo songs with vectors, eight seeded users with 25 songs of activity each, and their taste vectors."""
    from app.services.indexing.song_vectors import embed_songs
    from app.services.indexing.user_vectors import refresh_all_user_vectors
    from app.services.ops import seeding

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
    from app.services.indexing.song_vectors import embed_songs

    with app.app_context():
        embed_songs()
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        users.update_profile(alice, 30, "Parties and long drives", ["joy"], ["party", "driving"])
    auth.login()
    return client
