"""Configuration read from the environment, with safe defaults for a single machine."""

import os
import secrets
from pathlib import Path


def _env(name, default=None):
    value = os.environ.get(name, "").strip()
    return value or default


def database_url(instance_path):
    """DATABASE_URL, or a SQLite file under instance/ when unset."""
    url = _env("DATABASE_URL")
    if url is None:
        return "sqlite:///" + str(Path(instance_path) / "music.db")
    if url.startswith("postgres://"):  # Heroku-style URLs predate SQLAlchemy's dialect name
        url = "postgresql://" + url[len("postgres://"):]
    return url


def secret_key(instance_path):
    """SECRET_KEY, or a random key generated on first run and kept in instance/secret_key."""
    key = _env("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: when two processes start at once, one writes and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _class_settings(klass):
    settings = {}
    for base in reversed(klass.__mro__):
        settings.update({k: v for k, v in vars(base).items() if k.isupper()})
    return settings


class Config:
    """Production defaults; values that depend on the environment are filled by from_env."""

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 15000
    SONGS_PER_PAGE = 24
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session; pages left open still post
    # htmx from a CDN, pinned, with Subresource Integrity; HTMX_SRC serves another copy (tests use
    # the one `make install-dev` takes from the npm registry into static/vendor/).
    HTMX_VERSION = "2.0.8"
    HTMX_SRC = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
    HTMX_INTEGRITY = "sha384-/TgkGk7p307TH7EXJDuUlgG3Ce1UVolAOFopFekQkkXihi5u/6OCvVKyz1W+idaz"
    EMBEDDING_DEVICE = "cpu"
    EMBEDDING_BATCH_SIZE = 64
    DEMO_CATALOG = str(Path(__file__).resolve().parent.parent / "data" / "demo_songs.csv")

    @classmethod
    def from_env(cls, instance_path):
        """A mapping of every setting, with the environment applied."""
        settings = _class_settings(cls)
        settings.update(
            SECRET_KEY=secret_key(instance_path),
            SQLALCHEMY_DATABASE_URI=database_url(instance_path),
            QDRANT_URL=_env("QDRANT_URL"),
            QDRANT_API_KEY=_env("QDRANT_API_KEY"),
            QDRANT_LOCATION=_env("QDRANT_LOCATION"),
            VECTORS_PATH=_env("VECTORS_PATH", str(Path(instance_path) / "vectors")),
            EMBEDDING_DEVICE=_env("EMBEDDING_DEVICE", "cpu"),
            HTMX_SRC=_env("HTMX_SRC", cls.HTMX_SRC),
            SESSION_COOKIE_SECURE=_env("SESSION_COOKIE_SECURE", "0") == "1",
        )
        return settings


class TestConfig(Config):
    """Settings for the test suite: an isolated database; CSRF stays on so tests prove it."""

    TESTING = True
    SECRET_KEY = "test-only-" + secrets.token_hex(8)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    QDRANT_URL = None
    QDRANT_API_KEY = None
    QDRANT_LOCATION = ":memory:"
    VECTORS_PATH = None
    SESSION_COOKIE_SECURE = False
    HTMX_SRC = "/static/vendor/htmx.min.js"  # tests run offline

    @classmethod
    def from_env(cls, instance_path):
        """Test settings ignore the environment, so a developer's DATABASE_URL is never touched."""
        return _class_settings(cls)
