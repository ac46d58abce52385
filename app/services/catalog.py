"""Reading the song catalog: search, paging, genres."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Song

SORTS = {
    "popularity": (Song.popularity.desc().nulls_last(), Song.id),
    "title": (Song.title, Song.id),
    "newest": (Song.release_year.desc().nulls_last(), Song.release_date.desc().nulls_last(), Song.id),
}


def song_query(q=None, genre=None, sort="popularity"):
    """A select of songs matching a text search and a genre, in the chosen order."""
    query = sa.select(Song)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                Song.title.ilike(pattern, escape="\\"),
                Song.artist.ilike(pattern, escape="\\"),
                Song.album.ilike(pattern, escape="\\"),
            )
        )
    if genre:
        query = query.where(Song.genre == genre)
    return query.order_by(*SORTS.get(sort, SORTS["popularity"]))


def page_of_songs(page, per_page, q=None, genre=None, sort="popularity"):
    """One page of matching songs (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(song_query(q, genre, sort), page=page, per_page=per_page, error_out=False)


def genre_counts(limit=None):
    """Primary genres with their song counts, most common first."""
    query = (
        sa.select(Song.genre, sa.func.count())
        .where(Song.genre.is_not(None))
        .group_by(Song.genre)
        .order_by(sa.func.count().desc(), Song.genre)
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query))


def song_count():
    """How many songs the catalog holds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Song))
