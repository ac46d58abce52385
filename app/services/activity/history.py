"""Reads for the JSON API: single rows by id, a user's activity history, state and counts."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from ...extensions import db
from ...models import ActivityEvent, Song, User, UserSong


def isoformat(value: dt.datetime | None) -> str | None:
    """A datetime as ISO 8601 in UTC, or None."""
    if value is None:
        return None
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def get_user(user_id: int) -> User | None:
    """The user with this id, or None."""
    return db.session.get(User, user_id)


def get_song(song_id: int) -> Song | None:
    """The song with this id, or None."""
    return db.session.get(Song, song_id)


def activity_page(user_id: int, page: int, per_page: int) -> Pagination:
    """One page of the user's events, newest first (a Flask-SQLAlchemy Pagination)."""
    query = (
        sa.select(ActivityEvent)
        .where(ActivityEvent.user_id == user_id)
        .order_by(ActivityEvent.created_at.desc(), ActivityEvent.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def latest_event(user_id: int, song_id: int) -> ActivityEvent | None:
    """The user's most recent event for a song, or None."""
    return db.session.scalar(
        sa.select(ActivityEvent)
        .where(ActivityEvent.user_id == user_id, ActivityEvent.song_id == song_id)
        .order_by(ActivityEvent.id.desc())
        .limit(1)
    )


def events_json(events: Sequence[ActivityEvent]) -> list[dict[str, Any]]:
    """Events as the API shows them, each with its song's id, title and artist (one query)."""
    ids = {event.song_id for event in events}
    songs: dict[int, dict[str, Any]] = {}
    if ids:
        rows = db.session.execute(sa.select(Song.id, Song.title, Song.artist).where(Song.id.in_(ids)))
        songs = {row.id: {"id": row.id, "title": row.title, "artist": row.artist} for row in rows}
    return [event_json(event, songs.get(event.song_id)) for event in events]


def event_json(event: ActivityEvent, song: dict[str, Any] | None = None) -> dict[str, Any]:
    """One event as the API shows it."""
    return {
        "id": event.id,
        "song_id": event.song_id,
        "action": event.kind,
        "value": event.value,
        "created_at": isoformat(event.created_at),
        "song": song,
    }


def state_json(state: UserSong | None, song_id: int | None = None) -> dict[str, Any]:
    """A user's current relation to a song; an untouched song reads as all defaults."""
    if state is None:
        return {
            "song_id": song_id,
            "liked": False,
            "disliked": False,
            "bookmarked": False,
            "rating": None,
            "play_count": 0,
            "last_played_at": None,
        }
    return {
        "song_id": state.song_id,
        "liked": state.liked,
        "disliked": state.disliked,
        "bookmarked": state.bookmarked,
        "rating": state.rating,
        "play_count": state.play_count,
        "last_played_at": isoformat(state.last_played_at),
    }


def user_counts(user_id: int) -> dict[str, int]:
    """How many songs the user likes, dislikes, bookmarked and rated, and how many plays in all."""
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(UserSong.liked.is_(True)),
            sa.func.count().filter(UserSong.disliked.is_(True)),
            sa.func.count().filter(UserSong.bookmarked.is_(True)),
            sa.func.count(UserSong.rating),
            sa.func.coalesce(sa.func.sum(UserSong.play_count), 0),
        ).where(UserSong.user_id == user_id)
    ).one()
    likes, dislikes, bookmarks, ratings, plays = row
    return {
        "likes": likes,
        "dislikes": dislikes,
        "bookmarks": bookmarks,
        "ratings": ratings,
        "plays": int(plays),
    }
