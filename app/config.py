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
    # REMEMBER_COOKIE_SECURE follows SESSION_COOKIE_SECURE unless set itself (load_config).
    # Throttling (app/throttle.py), in the limits' syntax ("10 per 15 minutes", ";" between several).
    # Only failed logins count. memory:// counts in each process; redis://... shares the counts.
    RATELIMIT_STORAGE_URI = "memory://"
    # When a shared storage (redis://...) is down, count in memory with the same limits rather than
    # answering 500 to every login: throttling per process beats none and beats no logins.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "50 per 15 minutes"
    API_WRITE_LIMIT_PER_ACCOUNT = "120 per minute"
    API_WRITE_LIMIT_PER_ADDRESS = "600 per minute"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session; pages left open still post
    # The largest legitimate body is an admin's song with 100,000 characters of lyrics: at most about
    # 1.2 MB (astral characters as JSON \u escapes, or percent-encoded in a form). 2 MiB leaves a
    # margin; bigger bodies get 413 (app/limits.py), as JSON on the API and a page elsewhere.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # htmx from a CDN, pinned, with Subresource Integrity; HTMX_SRC serves another copy (tests use
    # the one `make install-dev` takes from the npm registry into static/vendor/).
    HTMX_VERSION = "2.0.8"
    HTMX_SRC = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
    HTMX_INTEGRITY = "sha384-/TgkGk7p307TH7EXJDuUlgG3Ce1UVolAOFopFekQkkXihi5u/6OCvVKyz1W+idaz"
    EMBEDDING_DEVICE = "cpu"
    EMBEDDING_BATCH_SIZE = 64
    DEMO_CATALOG = str(Path(__file__).resolve().parent.parent / "data" / "demo_songs.csv")
    # For you's fusion weights, fitted by `flask evaluate --tune` on the demo (docs/evaluation.md).
    FUSION_WEIGHTS = str(Path(__file__).resolve().parent.parent / "data" / "fusion_weights.json")
    # The item model (app/services/item_model.py): fitted in a background thread, at most once per
    # ITEM_MODEL_REFRESH_SECONDS after activity, and kept in ITEM_MODEL_PATH so a starting server
    # loads it instead of fitting. 300 s, as the recommendation cache's TTL: others' activity
    # reaches a list within that anyway, and each refit makes every cached For you list stale.
    ITEM_MODEL_REFRESH = "background"
    ITEM_MODEL_REFRESH_SECONDS = 300
    ITEM_MODEL_MAX_ITEMS = 4000
    # The sentence-transformers model starts loading in a background thread when a server starts
    # (create_app's start_warm_up), so the first profile save doesn't load it in the request. "auto":
    # on in servers (gunicorn, `flask run`), off in tests and other CLI commands; "on"/"off" force it.
    EMBEDDING_WARMUP = "auto"
    # The taste page's map (app/services/taste.py) is fitted in a background thread ("background")
    # when the catalog's vectors change; a request never waits for it. Tests fit it "inline".
    TASTE_MAP_FIT = "background"
    # Finished recommendation lists (app/services/recommendation_cache.py). SimpleCache lives in
    # each process, which is enough: the version in every key is read from the database, so an
    # invalidation reaches every worker. CACHE_TYPE picks another Flask-Caching backend
    # (REDIS_URL alone picks RedisCache, which needs the redis package installed).
    CACHE_TYPE = "SimpleCache"
    CACHE_THRESHOLD = 2000  # lists kept per process; a k=10 list pickles to about 6 KB: ~12 MB
    RECOMMENDATION_CACHE_TTL = 300  # seconds; the reason is beside DEFAULT_TTL in that module
    # Data the read path keeps per process (reasons and measurements in each module): the ranking
    # of liked songs, re-read at most this often (app/services/fan_ranking.py), and how many users'
    # positive songs are kept for neighbour look-ups (app/services/peer_positives.py).
    POPULAR_REFRESH_SECONDS = 60
    PEER_POSITIVES_MAX_USERS = 20_000

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
            EMBEDDING_WARMUP=_env("EMBEDDING_WARMUP", cls.EMBEDDING_WARMUP),
            HTMX_SRC=_env("HTMX_SRC", cls.HTMX_SRC),
            SESSION_COOKIE_SECURE=_env("SESSION_COOKIE_SECURE", "0") == "1",
            FUSION_WEIGHTS=_env("FUSION_WEIGHTS", cls.FUSION_WEIGHTS),
            ITEM_MODEL_PATH=_env("ITEM_MODEL_PATH", str(Path(instance_path) / "item_model.npz")),
            ITEM_MODEL_REFRESH_SECONDS=float(_env("ITEM_MODEL_REFRESH_SECONDS", cls.ITEM_MODEL_REFRESH_SECONDS)),
            ITEM_MODEL_MAX_ITEMS=int(_env("ITEM_MODEL_MAX_ITEMS", cls.ITEM_MODEL_MAX_ITEMS)),
        )
        settings.update({name: _env(name, settings[name]) for name in (
            "RATELIMIT_STORAGE_URI", "LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS",
            "API_WRITE_LIMIT_PER_ACCOUNT", "API_WRITE_LIMIT_PER_ADDRESS",
        )})
        redis_url = _env("CACHE_REDIS_URL", _env("REDIS_URL"))
        settings.update(
            CACHE_TYPE=_env("CACHE_TYPE", "RedisCache" if redis_url else cls.CACHE_TYPE),
            CACHE_REDIS_URL=redis_url,
            RECOMMENDATION_CACHE_TTL=int(_env("RECOMMENDATION_CACHE_TTL", cls.RECOMMENDATION_CACHE_TTL)),
            POPULAR_REFRESH_SECONDS=float(_env("POPULAR_REFRESH_SECONDS", cls.POPULAR_REFRESH_SECONDS)),
            PEER_POSITIVES_MAX_USERS=int(_env("PEER_POSITIVES_MAX_USERS", cls.PEER_POSITIVES_MAX_USERS)),
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
    # Tests fit the item model inline on first use (a background thread would race the test's
    # teardown) and keep it in memory; tests of the background refresh switch it back on.
    ITEM_MODEL_REFRESH = "inline"
    ITEM_MODEL_PATH = None
    TASTE_MAP_FIT = "inline"  # as the item model: no thread racing the test's teardown
    # Throttling stays on, with limits no other test reaches; tests/test_hardening_auth.py lowers them.
    LOGIN_LIMIT_PER_ACCOUNT = LOGIN_LIMIT_PER_ADDRESS = "100000 per minute"
    API_WRITE_LIMIT_PER_ACCOUNT = API_WRITE_LIMIT_PER_ADDRESS = "100000 per minute"

    @classmethod
    def from_env(cls, instance_path):
        """Test settings ignore the environment, so a developer's DATABASE_URL is never touched."""
        return _class_settings(cls)
