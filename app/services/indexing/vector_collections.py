"""The two collections as the app uses them: checked before a read, created for seeding and sync, and
created on a request's write only when they never held anything. SQL is the truth: a collection
missing or empty while SQL says it holds points was lost, and only `flask vectors sync` rebuilds it.
"""

import sqlalchemy as sa
from flask import current_app

from ...extensions import db, embedder, vector_store
from ...models import SongVector, UserVector
from ...vectors import VectorStore, VectorStoreError, schema
from ...vectors.schema import SONGS, USERS

# What SQL says each collection should hold: rows whose point the index acknowledged.
INDEXED_IN_SQL: dict[str, type[SongVector] | type[UserVector]] = {SONGS: SongVector, USERS: UserVector}


def indexed_in_sql(name: str) -> int:
    """How many points SQL says the collection holds (vectors marked indexed)."""
    model = INDEXED_IN_SQL[name]
    count = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.indexed.is_(True)))
    return count or 0  # a COUNT always answers: `or 0` only tells the type checker so


def sql_holds_points(name: str) -> bool:
    """Whether SQL says the collection holds any point (a committed row marked indexed)."""
    model = INDEXED_IN_SQL[name]
    # no_autoflush: a writer's pending rows (indexed=False until its write succeeds) must not count
    with db.session.no_autoflush:
        return bool(db.session.scalar(sa.select(sa.exists().where(model.indexed.is_(True)))))


def check_collections(store: VectorStore | None = None) -> VectorStore:
    """The store, once both collections exist, open, and are not empty while SQL says they hold points.

    The read path (recommendations) calls this on every request: a store that lost its shards
    (folder deleted, replaced by a file, corrupt) raises VectorStoreError, so callers serve the
    popular list marked degraded. Nothing is created here, so a read never hides such a loss
    behind new empty collections. Cost: a directory listing and an estimated count per collection:
    an exact count scanned every point, 11 ms a request at 100,000 songs (bench/recommend.py).
    """
    store = store or vector_store()
    existing = set(store.collections())
    for name in (SONGS, USERS):
        if name not in existing:
            raise VectorStoreError(
                f"vector store: no collection {name!r}; `flask vectors sync` rebuilds it from SQL"
            )
        if store.count(name, exact=False) == 0 and sql_holds_points(name):
            raise VectorStoreError(
                f"vector store: collection {name!r} is empty while SQL says it holds points; "
                "`flask vectors sync` rewrites them"
            )
    return store


def ensure_collections(
    store: VectorStore | None = None, force: bool = False, create: bool = False
) -> VectorStore:
    """Both collections, checked for reading (the default) or, with `create`, created when missing.

    Reads (recommendations, similar songs) never create: see check_collections. Only seeding and
    `flask vectors sync` pass create=True; request-time writes use writable_collections.
    Creation is checked once per store per process (each costs a flush on Edge); `force` rechecks.
    """
    store = store or vector_store()
    if not create:
        return check_collections(store)
    ready: object = current_app.extensions.get("vector_collections_ready")
    if force or ready is not store:
        schema.create_collections(store, embedder().dim)
        current_app.extensions["vector_collections_ready"] = store
    return store


def writable_collections(store: VectorStore | None = None) -> VectorStore:
    """The store for a request's write (a like, an admin's edit), creating only collections never filled.

    A missing collection that SQL says held points was lost: recreating it empty would hide that
    (the issue's "first write silently creates new empty shards"), so this raises VectorStoreError
    and the caller marks its rows unindexed for `flask vectors sync`. A collection that never held
    anything (a fresh install's first song or user) is created as before.
    """
    store = store or vector_store()
    missing = [name for name in (SONGS, USERS) if name not in set(store.collections())]
    lost = [name for name in missing if sql_holds_points(name)]
    if lost:
        raise VectorStoreError(
            f"vector store: collection {lost[0]!r} is missing while SQL says it holds points; "
            "`flask vectors sync` rebuilds it"
        )
    if missing:
        ensure_collections(store, force=True, create=True)
    return store
