"""A user's library: the songs they liked, bookmarked, rated, played or disliked, and per-song state for cards."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Song, UserSong

SECTIONS = {
    "liked": (UserSong.liked.is_(True), UserSong.updated_at.desc()),
    "bookmarked": (UserSong.bookmarked.is_(True), UserSong.updated_at.desc()),
    "rated": (UserSong.rating.is_not(None), UserSong.rating.desc()),
    "recent": (UserSong.play_count > 0, UserSong.last_played_at.desc()),
    # Where a dislike can be found again, and undone.
    "disliked": (UserSong.disliked.is_(True), UserSong.updated_at.desc()),
}


def states_for(user_id, song_ids):
    """{song id: UserSong} for the songs this user did anything with (one query)."""
    song_ids = list(song_ids)
    if not song_ids:
        return {}
    rows = db.session.scalars(
        sa.select(UserSong).where(UserSong.user_id == user_id, UserSong.song_id.in_(song_ids))
    )
    return {row.song_id: row for row in rows}


def library_page(user_id, section, page, per_page):
    """One page of songs in a section of the user's library (a Flask-SQLAlchemy Pagination)."""
    condition, order = SECTIONS[section]
    query = (
        sa.select(Song)
        .join(UserSong, UserSong.song_id == Song.id)
        .where(UserSong.user_id == user_id, condition)
        .order_by(order, Song.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def section_counts(user_id):
    """How many songs each section holds."""
    return {
        name: db.session.scalar(
            sa.select(sa.func.count()).select_from(UserSong).where(UserSong.user_id == user_id, condition)
        )
        for name, (condition, _) in SECTIONS.items()
    }
