"""Configuration read from the environment, with safe defaults for a single machine."""

import os
import secrets
from pathlib import Path
from typing import ClassVar


def _env(name, default=None):
    value = os.environ.get(name, "").strip()
    return value or default


def database_url(instance_path):
    """DATABASE_URL, or a SQLite file under instance/ when unset."""
    url = _env("DATABASE_URL")
    if url is None:
        return "sqlite:///" + str(Path(instance_path) / "music.db")
    # psycopg 3 is the driver installed; SQLAlchemy's plain "postgresql://" means psycopg2, which is
    # not, and Heroku-style "postgres://" predates the dialect's name: both get the installed driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
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
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 15000
    SONGS_PER_PAGE = 24
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # REMEMBER_COOKIE_SECURE follows SESSION_COOKIE_SECURE unless set itself (load_config).
    # Throttling (app/throttle.py), in the limits' syntax ("10 per 15 minutes", ";" between several).
    # Only failed logins count. memory:// counts in each process; redis://... shares the counts
    # (REDIS_URL alone picks it).
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
    # The item model (app/services/recommendations/item_model.py): fitted in a background thread, at
    # most once per ITEM_MODEL_REFRESH_SECONDS after activity, and kept in ITEM_MODEL_PATH so a
    # starting server loads it instead of fitting. 300 s, as the recommendation cache's TTL: others'
    # activity reaches a list within that anyway, and each refit makes every cached For you list stale.
    ITEM_MODEL_REFRESH = "background"
    ITEM_MODEL_REFRESH_SECONDS = 300
    ITEM_MODEL_MAX_ITEMS = 4000
    # The sentence-transformers model starts loading in a background thread when a server starts
    # (create_app's start_warm_up), so the first profile save doesn't load it in the request. "auto":
    # on in servers (gunicorn, `flask run`), off in tests and other CLI commands; "on"/"off" force it.
    EMBEDDING_WARMUP = "auto"
    # The taste page's map (app/services/recommendations/catalog_map.py) is fitted in a background thread
    # ("background") when the catalog's vectors change; a request never waits for it. Tests fit it
    # "inline".
    TASTE_MAP_FIT = "background"
    # Finished recommendation lists (app/services/recommendations/cache.py). SimpleCache lives in
    # each process, which is enough for correctness: the version in every key is read from the
    # database, so an invalidation reaches every worker. RedisCache (REDIS_URL alone picks it) shares
    # the lists, so a list computed by one worker is a hit on the others. CACHE_TYPE picks another.
    CACHE_TYPE = "SimpleCache"
    # Entries kept per process: a k=10 list pickles to about 6 KB, a kept knowledge search
    # (stable_searches.py, one per user and filter set beside their lists) to 20-30 KB: 12-60 MB.
    CACHE_THRESHOLD = 2000
    RECOMMENDATION_CACHE_TTL = 300  # seconds; the reason is beside DEFAULT_TTL in that module
    # Data the read path keeps per process (reasons and measurements in each module): the ranking
    # of liked songs, re-read at most this often (app/services/activity/fans.py), and how many users'
    # positive songs are kept for neighbour look-ups (app/services/recommendations/peer_positives.py).
    POPULAR_REFRESH_SECONDS = 60
    PEER_POSITIVES_MAX_USERS = 20_000
    # State shared between workers (README, "Several workers"): REDIS_URL puts the recommendation
    # cache, the throttling counters and the item model's refit lock in one Redis. Unset, each stays
    # in its process. A down Redis must cost a request little: connecting to a closed port fails at
    # once, but a host that drops packets would hold every request for the OS's connect timeout
    # (over 2 minutes on Linux), so connects and reads give up after half a second and a second.
    REDIS_URL = None
    REDIS_SOCKET_OPTIONS: ClassVar[dict[str, float]] = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    # The item model's refit lock (app/services/ops/background.JobLock) expires after this long, so a
    # worker killed mid-fit blocks the others' refits no longer. A fit takes 3.8 s at 100,000 songs
    # and 10,000 users (bench/item_model.py): 120 s is 30 times that, for a busy machine.
    ITEM_MODEL_LOCK_SECONDS = 120

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
            ITEM_MODEL_REFRESH_SECONDS=float(
                _env("ITEM_MODEL_REFRESH_SECONDS", cls.ITEM_MODEL_REFRESH_SECONDS)
            ),
            ITEM_MODEL_MAX_ITEMS=int(_env("ITEM_MODEL_MAX_ITEMS", cls.ITEM_MODEL_MAX_ITEMS)),
            ITEM_MODEL_LOCK_SECONDS=float(_env("ITEM_MODEL_LOCK_SECONDS", cls.ITEM_MODEL_LOCK_SECONDS)),
        )
        settings.update(
            {
                name: _env(name, settings[name])
                for name in (
                    "LOGIN_LIMIT_PER_ACCOUNT",
                    "LOGIN_LIMIT_PER_ADDRESS",
                    "API_WRITE_LIMIT_PER_ACCOUNT",
                    "API_WRITE_LIMIT_PER_ADDRESS",
                )
            }
        )
        settings.update(
            redis_settings(
                _env("REDIS_URL"), _env("CACHE_REDIS_URL"), _env("CACHE_TYPE"), _env("RATELIMIT_STORAGE_URI")
            )
        )
        settings.update(
            RECOMMENDATION_CACHE_TTL=int(_env("RECOMMENDATION_CACHE_TTL", cls.RECOMMENDATION_CACHE_TTL)),
            POPULAR_REFRESH_SECONDS=float(_env("POPULAR_REFRESH_SECONDS", cls.POPULAR_REFRESH_SECONDS)),
            PEER_POSITIVES_MAX_USERS=int(_env("PEER_POSITIVES_MAX_USERS", cls.PEER_POSITIVES_MAX_USERS)),
        )
        return settings


def redis_settings(
    redis_url: str | None,
    cache_url: str | None = None,
    cache_type: str | None = None,
    ratelimit_uri: str | None = None,
) -> dict:
    """The settings that put shared state in Redis: REDIS_URL alone picks all three users of it.

    CACHE_REDIS_URL, CACHE_TYPE and RATELIMIT_STORAGE_URI, when given, win over REDIS_URL for their
    part. The socket timeouts go to whichever part talks to Redis (a redis:// URI; RedisCache).
    """
    cache_url = cache_url or redis_url
    cache_type = cache_type or ("RedisCache" if cache_url else Config.CACHE_TYPE)
    ratelimit_uri = ratelimit_uri or redis_url or Config.RATELIMIT_STORAGE_URI
    timeouts = dict(Config.REDIS_SOCKET_OPTIONS)
    settings = {
        "REDIS_URL": redis_url,
        "CACHE_TYPE": cache_type,
        "CACHE_REDIS_URL": cache_url,
        "RATELIMIT_STORAGE_URI": ratelimit_uri,
    }
    if cache_type == "RedisCache":  # other backends take no socket options (SimpleCache refuses them)
        settings["CACHE_OPTIONS"] = timeouts
    if ratelimit_uri.startswith(("redis://", "rediss://", "redis+unix://")):
        settings["RATELIMIT_STORAGE_OPTIONS"] = timeouts
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
