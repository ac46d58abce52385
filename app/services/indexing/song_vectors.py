"""Song vectors: embedding the catalog into the vector store, skipping songs whose text is unchanged."""

import ctypes
import ctypes.util
import functools
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ...database import upsert
from ...embeddings import shared_embedder, song_text, text_hash
from ...extensions import db
from ...models import Song, SongVector, UserVector, from_blob, to_blob, utcnow
from ...spotify_csv.vocab import FLAG_COLUMNS
from ...vectors import Point, VectorStore, VectorStoreError, create_vector_store

SONGS = "songs"
USERS = "users"
SONG_INDEXED_FIELDS = {
    "genre": "keyword",
    "genres": "keyword",
    "emotion": "keyword",
    "artist": "keyword",
    "explicit": "bool",
    "popularity": "integer",
    **dict.fromkeys(FLAG_COLUMNS, "bool"),
}
USER_INDEXED_FIELDS = {"emotions": "keyword", "tags": "keyword"}
PAGE = 1000  # songs read from SQL at a time, so memory stays flat on large catalogs


_store_lock = threading.Lock()


def vector_store():
    """This process's vector store, opened on first use (so only the process that serves holds it)."""
    store = current_app.extensions.get("vector_store")
    if store is None:
        # Request threads racing here would open the same Edge shard twice and lock themselves out.
        with _store_lock:
            store = current_app.extensions.get("vector_store")
            if store is None:
                config = current_app.config
                store = create_vector_store(
                    qdrant_url=config.get("QDRANT_URL"),
                    qdrant_api_key=config.get("QDRANT_API_KEY"),
                    qdrant_location=config.get("QDRANT_LOCATION"),
                    vectors_path=config.get("VECTORS_PATH"),
                )
                current_app.extensions["vector_store"] = store
    return store


def close_vector_store():
    """Release the store's files or connections (CLI commands do this so a server can start)."""
    store = current_app.extensions.get("vector_store")
    if store is not None:
        store.close()


def embedder():
    """The app's embedder: the real model unless one was installed (tests install a double)."""
    model = current_app.extensions.get("embedder")
    if model is None:
        model = shared_embedder(current_app.config.get("EMBEDDING_DEVICE", "cpu"))
        current_app.extensions["embedder"] = model
    return model


# What SQL says each collection should hold: rows whose point the index acknowledged.
INDEXED_IN_SQL = {SONGS: SongVector, USERS: UserVector}


def indexed_in_sql(name: str) -> int:
    """How many points SQL says the collection holds (vectors marked indexed)."""
    model = INDEXED_IN_SQL[name]
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.indexed.is_(True)))


def _sql_holds_points(name: str) -> bool:
    model = INDEXED_IN_SQL[name]
    # no_autoflush: a writer's pending rows (indexed=False until its write succeeds) must not count
    with db.session.no_autoflush:
        return db.session.scalar(sa.select(sa.exists().where(model.indexed.is_(True))))


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
        if store.count(name, exact=False) == 0 and _sql_holds_points(name):
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
    if force or current_app.extensions.get("vector_collections_ready") is not store:
        dim = embedder().dim
        store.ensure_collection(SONGS, dim, SONG_INDEXED_FIELDS)
        store.ensure_collection(USERS, dim, USER_INDEXED_FIELDS, sparse=True)
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
    lost = [name for name in missing if _sql_holds_points(name)]
    if lost:
        raise VectorStoreError(
            f"vector store: collection {lost[0]!r} is missing while SQL says it holds points; "
            "`flask vectors sync` rebuilds it"
        )
    if missing:
        ensure_collections(store, force=True, create=True)
    return store


def song_embedding_text(song):
    """The text a song row is embedded from."""
    return song_text(song.artist, song.title, song.genres, song.emotion, song.album, song.lyrics)


def song_payload(song):
    """The payload stored with a song's point: what searches filter on."""
    payload = {
        "song_id": song.id,
        "artist": song.artist,
        "genre": song.genre,
        "genres": list(song.genres or []),
        "emotion": song.emotion,
        "explicit": bool(song.explicit),
        "popularity": song.popularity or 0,
    }
    payload.update({flag: bool(getattr(song, flag)) for flag in FLAG_COLUMNS})
    return payload


@dataclass
class EmbedResult:
    embedded: int = 0  # encoded by the model
    reindexed: int = 0  # vector reused from SQL, point written again
    unchanged: int = 0


SONG_COLUMNS = [
    Song.id,
    Song.artist,
    Song.title,
    Song.genre,
    Song.genres,
    Song.emotion,
    Song.album,
    Song.lyrics,
    Song.explicit,
    Song.popularity,
    *(getattr(Song, flag) for flag in FLAG_COLUMNS),
]


def iter_song_pages(where=None):
    """Pages of song rows (plain rows, with text_hash and indexed) in id order, PAGE at a time."""
    last_id = 0
    while True:
        query = (
            sa.select(*SONG_COLUMNS, SongVector.text_hash, SongVector.indexed)
            .outerjoin(SongVector, SongVector.song_id == Song.id)
            .where(Song.id > last_id)
            .order_by(Song.id)
            .limit(PAGE)
        )
        if where is not None:
            query = query.where(where)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


def embed_songs(batch_size=64, rebuild=False, on_step=None, on_skip=None):
    """Embed every song whose text changed since its last embedding; commit after each batch.

    An interrupted run loses at most one batch: the next run skips what was committed. `on_step(n)`
    counts songs embedded or re-indexed; songs that needed nothing go to `on_skip(n)` when given (a
    progress bar's rate and ETA then count only real work), else to `on_step` as well.
    """
    store = ensure_collections(create=True)  # seeding and sync: the only callers, both may create
    if rebuild:
        store.drop_collection(SONGS)
        db.session.execute(sa.delete(SongVector))
        db.session.commit()
        ensure_collections(store, force=True, create=True)
    model = embedder()
    result = EmbedResult()
    skipped_to = on_skip or on_step
    for page in iter_song_pages():
        to_embed, to_index = [], []
        for song in page:
            text = song_embedding_text(song)
            digest = text_hash(text)
            if song.text_hash != digest:
                to_embed.append((song, digest, text))
            elif not song.indexed:
                to_index.append(song)
        skipped = len(page) - len(to_embed) - len(to_index)
        result.unchanged += skipped
        if skipped_to and skipped:
            skipped_to(skipped)
        for start in range(0, len(to_embed), batch_size):
            batch = to_embed[start : start + batch_size]
            vectors = model.encode([text for _, _, text in batch], batch_size)
            _write_song_vectors([song for song, _, _ in batch], vectors, [d for _, d, _ in batch], model.name)
            result.embedded += len(batch)
            _release_freed_memory()
            if on_step:
                on_step(len(batch))
        if to_index:
            reindex_songs(to_index)
            result.reindexed += len(to_index)
            if on_step:
                on_step(len(to_index))
    store.optimize(SONGS)
    return result


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


def _release_freed_memory():
    # glibc kept the holes that each batch's torch buffers left between small long-lived allocations
    # (SQLite, the vector store): `flask seed embeddings` grew from 0.6 to 2.8 GB over 10,000 songs.
    # Trimming after each batch kept 1,500 songs at 601-610 MB (651-828 MB without), ~10 ms a batch.
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _write_song_vectors(songs, vectors, digests, model_name):
    # Point first, SQL second: a committed hash always means the point exists.
    vector_store().upsert(SONGS, [Point(s.id, v.tolist(), song_payload(s)) for s, v in zip(songs, vectors)])
    now = utcnow()
    # One upsert, not a delete and an insert: two runs embedding the same song at once (two
    # `flask seed embeddings`, or an admin's edit during one) both end written, where the insert
    # of the second raised a unique violation.
    upsert(
        db.session,
        SongVector.__table__,
        [
            {
                "song_id": s.id,
                "text_hash": d,
                "model": model_name,
                "vector": to_blob(v),
                "indexed": True,
                "updated_at": now,
            }
            for s, v, d in zip(songs, vectors, digests)
        ],
        ["song_id"],
    )
    db.session.commit()


def embed_song_rows(songs):
    """Embed these songs now and write their points and SQL vectors (an admin's edit, one song)."""
    writable_collections()
    model = embedder()
    texts = [song_embedding_text(song) for song in songs]
    _write_song_vectors(songs, model.encode(texts), [text_hash(t) for t in texts], model.name)


def reindex_songs(songs):
    """Write points again from the vectors kept in SQL, with fresh payloads (no model call)."""
    ids = [song.id for song in songs]
    blobs = dict(
        db.session.execute(
            sa.select(SongVector.song_id, SongVector.vector).where(SongVector.song_id.in_(ids))
        ).all()
    )
    points = [Point(s.id, from_blob(blobs[s.id]).tolist(), song_payload(s)) for s in songs if s.id in blobs]
    vector_store().upsert(SONGS, points)
    db.session.execute(sa.update(SongVector).where(SongVector.song_id.in_(list(blobs))).values(indexed=True))
    db.session.commit()


def mark_songs_unindexed(song_ids):
    """Record that the index lacks these songs' points, so the next sync writes them."""
    db.session.execute(
        sa.update(SongVector).where(SongVector.song_id.in_(list(song_ids))).values(indexed=False)
    )
    db.session.commit()


__all__ = [
    "SONGS",
    "USERS",
    "EmbedResult",
    "VectorStoreError",
    "check_collections",
    "close_vector_store",
    "embed_song_rows",
    "embed_songs",
    "embedder",
    "ensure_collections",
    "indexed_in_sql",
    "mark_songs_unindexed",
    "reindex_songs",
    "song_payload",
    "vector_store",
    "writable_collections",
]
