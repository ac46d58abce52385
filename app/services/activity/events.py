"""Recording what users do with songs: the event log and the per-song state, in one transaction.

Concurrent actions of one user on one song (two tabs, a double click, API clients) are serialised
by the state row: an upsert (INSERT ... ON CONFLICT DO UPDATE) creates or locks it before it is
read, so each action reads the state the previous one committed, and the event log's order (by
id) is the order the state changed in. On PostgreSQL the lock is the row's; SQLite has one
writer, and the upsert makes this transaction that writer.
"""

import datetime as dt
import logging
from typing import cast

import sqlalchemy as sa

# flask-login ships no type information (no py.typed, no stubs package): current_user is Any.
from flask_login import current_user  # type: ignore[import-untyped]
from sqlalchemy.orm import InstanceState

from ...database import dialect_insert
from ...extensions import db
from ...models import ACTIVITY_KINDS, ActivityEvent, Song, User, UserSong, utcnow
from ..indexing.user_vectors import refresh_user_vector
from ..recommendations import item_model
from ..recommendations.cache import bump_versions

log = logging.getLogger(__name__)


def validate_activity(kind: str, value: object = None) -> None:
    """Raise ValueError with a clear message for an unknown kind or a bad rating."""
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown activity {kind!r}: expected one of {', '.join(ACTIVITY_KINDS)}")
    if kind == "rate":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValueError(f"a rating must be a whole number from 1 to 5, not {value!r}")
    elif value is not None:
        raise ValueError(f"'{kind}' takes no value")


def record_activity(
    user_id: int, song_id: int, kind: str, value: int | None = None, at: dt.datetime | None = None
) -> UserSong | None:
    """Append one event and update the user's state for the song; commits both or neither."""
    return _record(user_id, song_id, kind, value, at, forget_if_empty=False)


# What each undoable action is undone by. Undo records the opposite event (the log stays append-only).
UNDO_KINDS = {
    "like": "unlike",
    "unlike": "like",
    "dislike": "undislike",
    "undislike": "dislike",
    "bookmark": "unbookmark",
    "unbookmark": "bookmark",
    "rate": "unrate",
}  # a first rating only: a changed one has no earlier value to go back to


def revert_activity(user_id: int, song_id: int, kind: str) -> UserSong | None:
    """Record `kind` as the undo of an earlier action, and forget the song's state if nothing is left.

    `kind` is the restoring event (e.g. "undislike" undoes a dislike). Every list excludes the songs
    a user has a state for, so a state left empty (no play, like, rating, bookmark or dislike) is
    deleted in the same transaction: an undone dislike brings the song back to the lists. Returns
    the state, or None when it was forgotten. ValueError for a kind that undoes nothing.
    """
    if kind not in UNDO_KINDS.values():
        expected = ", ".join(sorted(set(UNDO_KINDS.values())))
        raise ValueError(f"cannot undo with {kind!r}: expected one of {expected}")
    return _record(user_id, song_id, kind, None, None, forget_if_empty=True)


def _is_empty(state: UserSong) -> bool:
    return not (state.play_count or state.liked or state.rating or state.bookmarked or state.disliked)


def _locked_state(user_id: int, song_id: int) -> UserSong:
    """The user's state row for the song, created empty when missing, locked until the commit."""
    insert = dialect_insert(db.session)
    if insert is not None:
        # ON CONFLICT DO UPDATE (a no-op update) rather than DO NOTHING and then SELECT ... FOR
        # UPDATE: the latter finds nothing when a concurrent undo deletes the row it left empty, and
        # with 8 threads a retry lost that race 3 times running; the upsert ends with the row
        # inserted or locked, PostgreSQL retrying internally when the row it waited for is deleted.
        empty = UserSong.empty(user_id, song_id)
        values = {column.key: getattr(empty, column.key) for column in UserSong.__table__.columns}
        statement = insert(UserSong).values(**{**values, "updated_at": utcnow()})
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "song_id"], set_={"updated_at": UserSong.__table__.c.updated_at}
            )
        )
    state = db.session.get(
        UserSong, (user_id, song_id), populate_existing=True, with_for_update=insert is None
    )
    if state is None:  # another dialect: the primary key refuses a concurrent duplicate
        state = UserSong.empty(user_id, song_id)
        db.session.add(state)
    return state


def _record(
    user_id: int,
    song_id: int,
    kind: str,
    value: int | None,
    at: dt.datetime | None,
    forget_if_empty: bool,
) -> UserSong | None:
    validate_activity(kind, value)
    try:
        state = _locked_state(user_id, song_id)
        at = at or utcnow()  # taken under the lock, so the log's times follow its order
        state.apply(kind, value, at)
        db.session.add(ActivityEvent(user_id=user_id, song_id=song_id, kind=kind, value=value, created_at=at))
        if forget_if_empty and _is_empty(state):
            # The cast names what inspect() gives: its overloads type a Flask-SQLAlchemy model's as Never.
            if cast("InstanceState[UserSong]", sa.inspect(state)).persistent:
                db.session.delete(state)
            else:  # created above for this event (a dialect without ON CONFLICT): never stored
                db.session.expunge(state)
            state = None
        # Every kind changes what the user's lists exclude or rank by: their cached lists go stale
        # with this commit, on every worker. (A request already computing with the old taste
        # vector while it is refreshed below may cache that list under the new version: its
        # exclusions are right, only the ranking lags by this one action until the TTL.)
        bump_versions([user_id])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    # After the commit, so the next request already sees the new taste vector. It locks the user's
    # row and upserts, so concurrent actions of one user refresh one after the other and the last
    # commit computes from the last state.
    refresh_user_vector(user_id)
    item_model.holder().note_activity()  # starts or schedules a background refit; never waits
    return state


def state_for(song: Song, user: User | None = None) -> UserSong | None:
    """The given (or current) user's state for a song, or None."""
    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.get(UserSong, (user.id, song.id))


def event_count(user_id: int | None = None) -> int:
    """How many events are logged, for one user or for everyone."""
    query = sa.select(sa.func.count()).select_from(ActivityEvent)
    if user_id is not None:
        query = query.where(ActivityEvent.user_id == user_id)
    count = db.session.scalar(query)
    return count  # type: ignore[return-value]  # a COUNT(*) is never None
