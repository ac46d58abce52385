"""The app's vector store as a Flask extension: bound in create_app, opened on first use.

Not imported by app/vectors/__init__.py: the engines and the evaluation use stores without Flask.
"""

import threading
import weakref

from flask import Flask

from ..extensions_base import bound_app
from . import create_vector_store
from .base import VectorStore

# The settings that choose the store (app/config.py): a Qdrant server, qdrant-client local mode,
# or a Qdrant Edge folder, in that order (create_vector_store).
SETTINGS = ("QDRANT_URL", "QDRANT_API_KEY", "QDRANT_LOCATION", "VECTORS_PATH")


class VectorStoreExtension:
    """One vector store per app, opened by the first call that needs it: `vector_store()`.

    init_app opens nothing. An embedded Qdrant Edge shard belongs to one process: with two gunicorn
    workers the second failed to open the shard and the master exited (field notes), and a shard
    opened in the master (at import, or with --preload) would be inherited by every worker after
    the fork, several processes writing behind one lock (gunicorn.conf.py). So the store opens on
    first use, in the worker that serves, and each app (tests build many, on different stores) has
    its own. Tests and benchmarks hand an app a store of their own with `override` (one in-memory
    store shared by two apps, a store that times its calls).
    """

    name = "vector_store"  # the key of app.extensions that holds the app's store once opened

    def __init__(self, app: Flask | None = None) -> None:
        # Request threads racing to the first use would open the same Edge shard twice and lock
        # themselves out: one opening at a time.
        self._lock = threading.Lock()
        self._apps: weakref.WeakSet[Flask] = weakref.WeakSet()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Bind the app: its settings say which store to open on first use (nothing opens here)."""
        for setting in SETTINGS:
            app.config.setdefault(setting, None)
        self._apps.add(app)

    def __call__(self, app: Flask | None = None) -> VectorStore:
        """The app's store (the current app's by default), opened on first use."""
        app = bound_app(app, self._apps, self.name)
        store: VectorStore | None = app.extensions.get(self.name)
        if store is None:
            with self._lock:
                store = app.extensions.get(self.name)
                if store is None:
                    config = app.config
                    store = app.extensions[self.name] = create_vector_store(
                        qdrant_url=config["QDRANT_URL"],
                        qdrant_api_key=config["QDRANT_API_KEY"],
                        qdrant_location=config["QDRANT_LOCATION"],
                        vectors_path=config["VECTORS_PATH"],
                    )
        return store

    def override(self, app: Flask, store: VectorStore) -> None:
        """Use `store` as the app's store from now on (tests, benchmarks); the one it replaces stays open."""
        bound_app(app, self._apps, self.name).extensions[self.name] = store

    def opened(self, app: Flask | None = None) -> VectorStore | None:
        """The app's store if it was opened (or overridden), without opening it."""
        store: VectorStore | None = bound_app(app, self._apps, self.name).extensions.get(self.name)
        return store

    def close(self, app: Flask | None = None) -> None:
        """Release the store's files or connections, if open; the next call reopens what it needs.

        CLI commands close it when they end, so that a server can start.
        """
        store = self.opened(app)
        if store is not None:
            store.close()
