"""User taste vectors: computed from SQL (activity, song vectors, preferences) and written to the index."""

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from ...database import upsert
from ...embeddings import preference_text, text_hash
from ...extensions import db, embedder
from ...models import INTERACTION_COLUMNS, SongVector, User, UserSong, UserVector, from_blob, to_blob, utcnow
from ...recommend.taste import taste_vector
from ...vectors import Point, VectorStoreError, schema
from ...vectors.schema import USERS, interaction_weight
from .vector_collections import writable_collections

log = logging.getLogger(__name__)
WRITE_BATCH = 256


def user_payload(user: User) -> dict[str, Any]:
    """The payload stored with a user's point (app/vectors/schema.py)."""
    return schema.user_payload(user.id, user.emotions or [], user.tags or [])


def user_signals(user_id: int) -> tuple[list[int], list[NDArray[np.float32]], list[float]]:
    """(song ids, song vectors, weights) of the songs a user did something telling with."""
    rows = db.session.execute(
        sa.select(
            UserSong.song_id,
            *INTERACTION_COLUMNS,
            SongVector.vector,
        )
        .join(SongVector, SongVector.song_id == UserSong.song_id)
        .where(UserSong.user_id == user_id)
        .order_by(UserSong.song_id)
    ).all()
    ids: list[int]
    vectors: list[NDArray[np.float32]]
    weights: list[float]
    ids, vectors, weights = [], [], []
    for song_id, plays, liked, rating, bookmarked, disliked, blob in rows:
        weight = interaction_weight(plays, liked, rating, bookmarked, disliked)
        if weight:
            ids.append(song_id)
            vectors.append(from_blob(blob))
            weights.append(weight)
    return ids, vectors, weights


def _preference_vectors(
    users: Sequence[User], cached: Mapping[int, UserVector]
) -> dict[int, tuple[str, NDArray[np.float32] | None]]:
    """Preference vectors for users, reusing cached ones and encoding the rest in one batch."""
    texts = {u.id: preference_text(u.emotions or (), u.tags or (), u.bio) for u in users}
    result: dict[int, tuple[str, NDArray[np.float32] | None]]
    missing: list[int]
    result, missing = {}, []
    for user in users:
        row = cached.get(user.id)
        if not texts[user.id]:
            result[user.id] = (text_hash(""), None)
        elif row is not None and row.preference_hash == text_hash(texts[user.id]):
            result[user.id] = (row.preference_hash, from_blob(row.preference_vector))
        else:
            missing.append(user.id)
    if missing:
        encoded = embedder().encode([texts[i] for i in missing])
        for user_id, vector in zip(missing, encoded):
            result[user_id] = (text_hash(texts[user_id]), vector)
    return result


def refresh_user_vectors(user_ids: Iterable[int], on_step: Callable[[int], object] | None = None) -> int:
    """Recompute and index the taste vectors of these users; returns how many have one.

    SQL keeps each vector even when the store is down; the row is then marked unindexed for sync.
    The users' rows are locked first, in id order (PostgreSQL's FOR NO KEY UPDATE; SQLite has one
    writer anyway), so two refreshes of one user (a like and a profile save at once) run one after
    the other, and the vector rows are written by one upsert and one delete, which cannot collide.
    """
    ids = sorted(set(user_ids))
    db.session.execute(
        sa.select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update(key_share=True)
    )
    users = db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)).all()
    cached = {
        row.user_id: row
        for row in db.session.scalars(
            sa.select(UserVector).where(UserVector.user_id.in_([u.id for u in users]))
        )
    }
    preferences = _preference_vectors(users, cached)
    points: list[Point]
    written: list[dict[str, Any]]
    gone: list[int]
    points, written, gone = [], [], []
    for user in users:
        signal_ids, vectors, weights = user_signals(user.id)
        pref_hash, pref_vector = preferences[user.id]
        taste = taste_vector(vectors, weights, pref_vector)
        if taste is None:
            gone.append(user.id)
        else:
            written.append(
                {
                    "user_id": user.id,
                    "preference_hash": pref_hash,
                    "preference_vector": b"" if pref_vector is None else to_blob(pref_vector),
                    "taste_vector": to_blob(taste),
                    "positives": sum(1 for w in weights if w > 0),
                    "updated_at": utcnow(),
                }
            )
            sparse = schema.user_sparse(dict(zip(signal_ids, weights)))
            points.append(Point(user.id, taste.tolist(), user_payload(user), sparse or None))
        if on_step:
            on_step(1)
    indexed = _write_points(points, gone)
    upsert(db.session, UserVector.__table__, [{**row, "indexed": indexed} for row in written], ["user_id"])
    if gone:
        db.session.execute(sa.delete(UserVector).where(UserVector.user_id.in_(gone)))
    db.session.commit()
    return len(written)


def _write_points(points: list[Point], gone: list[int]) -> bool:
    try:
        store = writable_collections()  # never recreates a lost collection: rows stay unindexed
        for start in range(0, len(points), WRITE_BATCH):
            store.upsert(USERS, points[start : start + WRITE_BATCH])
        if gone:
            store.delete(USERS, gone)
        return True
    except VectorStoreError as exc:
        log.warning("vector store unavailable, %d user vectors kept in SQL for sync: %s", len(points), exc)
        return False


def refresh_user_vector(user_id: int) -> None:
    """Recompute one user's taste vector right after they act, never failing their request."""
    try:
        refresh_user_vectors([user_id])
    except VectorStoreError as exc:  # pragma: no cover - _write_points already absorbs these
        log.warning("taste vector of user %s not refreshed: %s", user_id, exc)


def refresh_all_user_vectors(on_step: Callable[[int], object] | None = None, chunk: int = 500) -> int:
    """Recompute every user's taste vector, a chunk of users per transaction."""
    user_ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
    total = 0
    for start in range(0, len(user_ids), chunk):
        total += refresh_user_vectors(user_ids[start : start + chunk], on_step)
    return total


def stored_taste_vector(user_id: int) -> NDArray[np.float32] | None:
    """The user's taste vector as kept in SQL, or None."""
    row = db.session.get(UserVector, user_id)
    return None if row is None else np.array(from_blob(row.taste_vector))
