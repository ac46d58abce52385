"""Configuration from the environment, SQLite settings, and migrations matching the models."""

import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.config import Config, database_url, secret_key
from app.database import include_for_dialect
from app.extensions import db


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) >= 64 and first == secret_key(tmp_path)
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert secret_key(tmp_path / "other") != first
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert secret_key(tmp_path) == "from-the-environment"


def test_database_url_defaults_to_instance_sqlite(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{tmp_path}/music.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/music")
    assert database_url(tmp_path) == "postgresql+psycopg://u:p@db/music"
    # psycopg 3 is the installed driver; a plain URL would mean psycopg2, which is not installed
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/music")
    assert database_url(tmp_path) == "postgresql+psycopg://u:p@db/music"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db/music")
    assert database_url(tmp_path) == "postgresql+psycopg://u:p@db/music"


def test_environment_reaches_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("QDRANT_URL", "http://qdrant:6333")
    monkeypatch.setenv("VECTORS_PATH", str(tmp_path / "vec"))
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app(Config)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["QDRANT_URL"] == "http://qdrant:6333"
    assert app.config["VECTORS_PATH"] == str(tmp_path / "vec")
    assert app.config["SECRET_KEY"] == "k" * 40 and not app.config.get("TESTING")


def test_test_config_ignores_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://never/used")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


@pytest.mark.sqlite_only("the PRAGMAs checked are SQLite's own")
def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(app):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_writers_wait_instead_of_failing(app):
    from app.services.accounts.users import register_user

    errors = []

    def register(n):
        try:
            with app.app_context():
                for i in range(5):
                    register_user(f"t{n}x{i}", "password-123")
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM users")) == 20


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_for_dialect(conn.dialect.name)}
        )
        assert compare_metadata(context, db.metadata) == []


@pytest.mark.parametrize("path", ["/auth/login", "/auth/register"])
def test_public_pages_render(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'name="csrf_token"' in response.data


@pytest.mark.sqlite_only("SQLite's batch migrations rebuild tables; PostgreSQL alters them in place")
def test_upgrading_an_existing_database_keeps_its_rows(tmp_path):
    """Migrations that rebuild a table on SQLite must not cascade-delete the rows that point at it."""
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        upgrade(revision="7b17224cb571")  # the schema before the users table gained is_active
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, username, password_hash, emotions, tags, is_admin, created_at) "
                "VALUES (1, 'old', 'x', '[]', '[]', 0, '2026-01-01')"
            )
            conn.exec_driver_sql(
                "INSERT INTO songs (id, natural_key, row_hash, title, artist, artists, genres, similar_songs, "
                "created_at, updated_at) VALUES (1, 'k', 'h', 'T', 'A', '[]', '[]', '[]', '2026-01-01', '2026-01-01')"
            )
            conn.exec_driver_sql(
                "INSERT INTO user_songs (user_id, song_id, play_count, liked, bookmarked, disliked, updated_at) "
                "VALUES (1, 1, 3, 1, 0, 0, '2026-01-01')"
            )
            conn.exec_driver_sql(
                "INSERT INTO activity_events (user_id, song_id, kind, created_at) VALUES (1, 1, 'like', '2026-01-01')"
            )
        upgrade()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM user_songs").scalar() == 1
            assert conn.exec_driver_sql("SELECT count(*) FROM activity_events").scalar() == 1
            assert conn.exec_driver_sql("SELECT is_active FROM users").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()
