"""Extension objects, created here and bound to the app in create_app."""

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .embeddings import EmbedderExtension
from .vectors.extension import VectorStoreExtension

# Named constraints let Alembic alter them later, SQLite's batch mode included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()


class AppLimiter(Limiter):
    """Flask-Limiter's Limiter, with a storage outage forgotten when it is bound to a new app.

    One limiter serves the process (app/throttle.py declares its limits on it), and each create_app
    binds it to a new storage. Flask-Limiter remembers that a storage failed (its counts then go to
    its in-memory fallback until a check, up to 32 s later, finds the storage back): a Redis that was
    down for an earlier app must not send a new app's counts, on another storage, to memory.
    """

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        self._storage_dead = False


# No limit applies by default: app/throttle.py declares each one where it applies; the counters'
# storage comes from RATELIMIT_STORAGE_URI (app/config.py; REDIS_URL shares them between workers).
limiter = AppLimiter(key_func=get_remote_address)
# Finished recommendation lists (app/services/recommendations/cache.py); the backend is CACHE_TYPE.
cache = Cache()
# Song and user vectors: `vector_store()` is the app's store, opened on first use in the process
# that serves (never at import: app/vectors/extension.py says why); the settings choose the backend.
vector_store = VectorStoreExtension()
# Texts to vectors: `embedder()` is the bundled model (loaded by the warm-up or on first use), or
# the double a test installs with `embedder.override(app, ...)` (app/embeddings.py).
embedder = EmbedderExtension()


def per_app(name: str, create: Callable[[Flask], Any], app: Flask | None = None) -> Any:
    """The object an app keeps under app.extensions[name], made by create(app) on first use.

    One per app, not per module: the process's data (caches, models, holders) must not leak from
    one app to another, and tests build many apps on different databases in one process.
    """
    app = app or current_app._get_current_object()
    existing = app.extensions.get(name)
    if existing is None:
        existing = app.extensions.setdefault(name, create(app))
    return existing
