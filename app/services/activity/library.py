"""A user's library: the songs they liked, bookmarked, rated, played or disliked; per-song state for cards."""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from ...extensions import db
from ...models import Song, UserSong

# section: (which of the user's songs it holds, in what order)
SECTIONS: dict[str, tuple[sa.ColumnElement[bool], sa.UnaryExpression[Any]]] = {
    "liked": (UserSong.liked.is_(True), UserSong.updated_at.desc()),
    "bookmarked": (UserSong.bookmarked.is_(True), UserSong.updated_at.desc()),
    "rated": (UserSong.rating.is_not(None), UserSong.rating.desc()),
    "recent": (UserSong.play_count > 0, UserSong.last_played_at.desc()),
    # Where a dislike can be found again, and undone.
    "disliked": (UserSong.disliked.is_(True), UserSong.updated_at.desc()),
}


def states_for(user_id: int, song_ids: Iterable[int]) -> dict[int, UserSong]:
    """{song id: UserSong} for the songs this user did anything with (one query)."""
    song_ids = list(song_ids)
    if not song_ids:
        return {}
    rows = db.session.scalars(
        sa.select(UserSong).where(UserSong.user_id == user_id, UserSong.song_id.in_(song_ids))
    )
    return {row.song_id: row for row in rows}


def library_page(user_id: int, section: str, page: int, per_page: int) -> Pagination:
    """One page of songs in a section of the user's library (a Flask-SQLAlchemy Pagination)."""
    condition, order = SECTIONS[section]
    query = (
        sa.select(Song)
        .join(UserSong, UserSong.song_id == Song.id)
        .where(UserSong.user_id == user_id, condition)
        .order_by(order, Song.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def section_counts(user_id: int) -> dict[str, int]:
    """How many songs each section holds, counted in one query (a filtered count per section).

    One count per section cost the library page five queries of its eight.
    """
    counts = db.session.execute(
        sa.select(*(sa.func.count().filter(condition) for condition, _ in SECTIONS.values())).where(
            UserSong.user_id == user_id
        )
    ).one()
    return dict(zip(SECTIONS, counts))
