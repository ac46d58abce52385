"""Song vectors: embedding the catalog into the vector store, skipping songs whose text is unchanged.

The store and the embedder are the app's extensions (`vector_store()`, `embedder()`,
app/extensions.py); what the collections hold is app/vectors/schema.py's.
"""

import ctypes
import ctypes.util
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from ...database import upsert
from ...embeddings import song_text, text_hash
from ...extensions import db, embedder, vector_store
from ...models import Song, SongVector, from_blob, to_blob, utcnow
from ...spotify_csv.vocab import FLAG_COLUMNS
from ...vectors import Point, VectorStoreError, schema
from ...vectors.schema import SONGS
from .vector_collections import ensure_collections, writable_collections

PAGE = 1000  # songs read from SQL at a time, so memory stays flat on large catalogs
# A row of SONG_COLUMNS and more (iter_song_pages); a song as the functions below read it is
# either such a row or a Song.
PlainRow = sa.Row[*tuple[Any, ...]]
SongRow = Song | PlainRow


def song_embedding_text(song: SongRow) -> str:
    """The text a song row is embedded from."""
    return song_text(song.artist, song.title, song.genres, song.emotion, song.album, song.lyrics)


def song_payload(song: SongRow) -> dict[str, Any]:
    """The payload stored with a song's point (app/vectors/schema.py): what searches filter on."""
    return schema.song_payload(
        song.id,
        song.artist,
        song.genre,
        song.genres or [],
        song.emotion,
        bool(song.explicit),
        song.popularity or 0,
        {flag for flag in FLAG_COLUMNS if getattr(song, flag)},
    )


@dataclass
class EmbedResult:
    """What embed_songs did: songs encoded, re-indexed from SQL, or left as they were."""

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


def iter_song_pages(where: sa.ColumnElement[bool] | None = None) -> Iterator[Sequence[PlainRow]]:
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


def embed_songs(
    batch_size: int = 64,
    rebuild: bool = False,
    on_step: Callable[[int], object] | None = None,
    on_skip: Callable[[int], object] | None = None,
) -> EmbedResult:
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
    optimized_at = 0  # songs written when the index was last built
    for page in iter_song_pages():
        to_embed: list[tuple[PlainRow, str, str]] = []
        to_index: list[PlainRow] = []
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
        written = result.embedded + result.reindexed
        if store.optimize_every and written - optimized_at >= store.optimize_every:
            store.optimize(SONGS)  # index what this page filled, so the last call has little left
            optimized_at = written
    store.optimize(SONGS)
    return result


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


def _release_freed_memory() -> None:
    # glibc kept the holes that each batch's torch buffers left between small long-lived allocations
    # (SQLite, the vector store): `flask seed embeddings` grew from 0.6 to 2.8 GB over 10,000 songs.
    # Trimming after each batch kept 1,500 songs at 601-610 MB (651-828 MB without), ~10 ms a batch.
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _write_song_vectors(
    songs: Sequence[SongRow], vectors: NDArray[np.float32], digests: Sequence[str], model_name: str
) -> None:
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


def embed_song_rows(songs: Sequence[Song]) -> None:
    """Embed these songs now and write their points and SQL vectors (an admin's edit, one song)."""
    writable_collections()
    model = embedder()
    texts = [song_embedding_text(song) for song in songs]
    _write_song_vectors(songs, model.encode(texts), [text_hash(t) for t in texts], model.name)


def reindex_songs(songs: Sequence[SongRow]) -> None:
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


def mark_songs_unindexed(song_ids: Iterable[int]) -> None:
    """Record that the index lacks these songs' points, so the next sync writes them."""
    db.session.execute(
        sa.update(SongVector).where(SongVector.song_id.in_(list(song_ids))).values(indexed=False)
    )
    db.session.commit()


__all__ = [
    "SONG_COLUMNS",
    "EmbedResult",
    "VectorStoreError",
    "embed_song_rows",
    "embed_songs",
    "iter_song_pages",
    "mark_songs_unindexed",
    "reindex_songs",
    "song_embedding_text",
    "song_payload",
]
