"""Admins changing the catalog: SQL first, then the vector index, which may lag but is never lost.

A song's SQL change always commits. The index is written right after; when the vector store fails,
the song is marked unindexed (and, when its text changed, its stored text hash no longer matches),
so `flask vectors sync`, or the song's next edit, repairs it. Callers report "index": "pending".
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa

from ...embeddings import text_hash
from ...extensions import db, vector_store
from ...models import ActivityEvent, Song, SongVector, UserSong
from ...spotify_csv.records import natural_key, record_hash
from ...spotify_csv.validation import validate_song
from ...vectors import VectorStoreError
from ...vectors.schema import SONGS
from ..accounts import audit
from ..accounts.audit import Actor
from ..indexing.song_vectors import (
    embed_song_rows,
    mark_songs_unindexed,
    reindex_songs,
    song_embedding_text,
)
from ..indexing.user_vectors import refresh_user_vectors
from ..indexing.vector_collections import writable_collections
from ..recommendations.cache import bump_versions

log = logging.getLogger(__name__)
INDEXED, PENDING = "ok", "pending"
DETAIL_TEXT = 120  # audit details keep the start of long values (lyrics), not the whole text


class SongExists(ValueError):
    """Another song already has this artist, title and album."""

    def __init__(self, song_id: int) -> None:
        super().__init__(f"A song with this artist, title and album exists already (id {song_id}).")
        self.song_id = song_id


@dataclass
class SongChange:
    """What an admin's change did: the song (None once deleted), changed fields, index state."""

    song_id: int
    song: Song | None
    index: str
    changed: list[str] = field(default_factory=list)
    users_updated: int = 0


def label(song: Song) -> str:
    """How the audit log and messages name a song."""
    return f"{song.artist} – {song.title}"


def _detail(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str) and len(value) > DETAIL_TEXT:
        return value[:DETAIL_TEXT] + "…"
    return value


def index_song(song: Song) -> str:
    """Re-embed a song whose text changed, else rewrite its payload; "ok", or "pending" on failure."""
    row = db.session.get(SongVector, song.id)
    try:
        if row is None or row.text_hash != text_hash(song_embedding_text(song)):
            embed_song_rows([song])
        else:
            writable_collections()
            reindex_songs([song])
        return INDEXED
    except VectorStoreError as exc:
        db.session.rollback()
        log.warning("vector store unavailable, song %s left for sync: %s", song.id, exc)
        mark_songs_unindexed([song.id])
        return PENDING


def create_song(data: Any, actor: Actor) -> SongChange:
    """Validate and add a song, then index it; raises SongInvalid or SongExists."""
    values = validate_song(data)
    key = natural_key(None, values["artist"], values["title"], values.get("album"))
    existing = db.session.scalar(sa.select(Song.id).where(Song.natural_key == key))
    if existing is not None:
        raise SongExists(existing)
    defaults: dict[str, Any] = {"artists": [], "genres": [], "similar_songs": []}
    song = Song(natural_key=key, row_hash=record_hash(values), **{**defaults, **values})
    db.session.add(song)
    db.session.flush()
    audit.record(
        actor,
        "song.create",
        "song",
        song.id,
        label(song),
        {"fields": {name: _detail(value) for name, value in sorted(values.items())}},
    )
    db.session.commit()
    return SongChange(song.id, song, index_song(song), sorted(values))


def update_song(song: Song, data: Any, actor: Actor) -> SongChange:
    """Validate and apply an edit of some fields, then bring the index up to date; raises SongInvalid."""
    # The import's row hash is kept, so re-importing an unchanged CSV leaves the admin's edit alone.
    values = validate_song(data, partial=True)
    changes = {
        name: {"from": _detail(getattr(song, name)), "to": _detail(value)}
        for name, value in values.items()
        if getattr(song, name) != value
    }
    for name in changes:
        setattr(song, name, values[name])
    if changes:
        audit.record(actor, "song.update", "song", song.id, label(song), {"changed": changes})
        # Any user's cached list may show this song (title, explicit flag, genre): all go stale.
        # Admin edits are rare, so one UPDATE of every user beats keeping a reverse index.
        bump_versions()
        db.session.commit()
    # Even an edit that changes nothing repairs a song a failed write left stale.
    return SongChange(song.id, song, index_song(song), sorted(changes))


def activity_counts(song_id: int) -> tuple[int, int]:
    """(activity events, users with a state for it): what deleting the song removes, for the confirm page."""
    events = db.session.scalar(
        sa.select(sa.func.count()).select_from(ActivityEvent).where(ActivityEvent.song_id == song_id)
    )
    users = db.session.scalar(
        sa.select(sa.func.count()).select_from(UserSong).where(UserSong.song_id == song_id)
    )
    return cast(int, events), cast(int, users)  # a count always gives a row


def delete_song(song: Song, actor: Actor) -> SongChange:
    """Remove a song with its activity rows in one transaction, then from the index and taste vectors."""
    song_id, name = song.id, label(song)
    users = db.session.scalars(sa.select(UserSong.user_id).where(UserSong.song_id == song_id)).all()
    events = db.session.scalar(
        sa.select(sa.func.count()).select_from(ActivityEvent).where(ActivityEvent.song_id == song_id)
    )
    audit.record(
        actor,
        "song.delete",
        "song",
        song_id,
        name,
        {"album": song.album, "events_removed": events, "users_affected": len(users)},
    )
    # Explicit deletes rather than relying on ON DELETE CASCADE, which SQLite applies only with
    # foreign keys switched on for the connection.
    for model in (ActivityEvent, UserSong, SongVector):
        db.session.execute(sa.delete(model).where(model.song_id == song_id))
    db.session.delete(song)
    # Not only the users who touched the song: any cached list may show it. After the deletes, so
    # the users' rows are locked after their activity rows, in the order record_activity uses.
    bump_versions()
    db.session.commit()
    index = INDEXED
    try:
        vector_store().delete(SONGS, [song_id])
    except VectorStoreError as exc:
        # The orphan point is harmless meanwhile (every list reads songs back from SQL); sync drops it.
        log.warning("vector store unavailable, point of deleted song %s left for sync: %s", song_id, exc)
        index = PENDING
    # Taste vectors and the users' sparse points must forget the song; failures are kept for sync.
    refresh_user_vectors(users)
    return SongChange(song_id, None, index, users_updated=len(users))
