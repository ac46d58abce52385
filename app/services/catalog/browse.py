"""Reading the song catalog: search, paging, genres."""

from collections.abc import Sequence
from typing import Any, TypedDict, Unpack, cast

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import QueryableAttribute

from ...extensions import db
from ...models import Song
from ...spotify_csv.vocab import ACTIVITY_FLAGS, AUDIO_FEATURES, canonical_tag
from . import search_index, stamp

SORTS = {
    "popularity": (Song.popularity.desc().nulls_last(), Song.id),
    "title": (Song.title, Song.id),
    "newest": (Song.release_year.desc().nulls_last(), Song.release_date.desc().nulls_last(), Song.id),
}


class SongFilters(TypedDict, total=False):
    """The filters of song_query past text, genre and sort, as page_of_songs passes them on."""

    emotion: str | None
    tag: str | None
    explicit: bool | None


class SongJson(TypedDict):
    """A song as the JSON API shows it (app/api/schemas.py documents it)."""

    id: int
    title: str
    artist: str
    artists: list[str]
    album: str | None
    genre: str | None
    genres: list[str]
    emotion: str | None
    explicit: bool | None
    popularity: int | None
    release_date: str | None  # ISO 8601
    release_year: int | None
    duration_s: int | None
    key: str | None  # "D minor"
    tempo: float | None
    loudness: float | None
    time_signature: int | None
    features: dict[str, float | None]  # AUDIO_FEATURES, 0-1
    tags: list[str]
    similar_in_dataset: list[dict[str, Any]]  # the CSV's [{artist, title, score}], as stored


def song_query(
    q: str | None = None,
    genre: str | None = None,
    sort: str = "popularity",
    emotion: str | None = None,
    tag: str | None = None,
    explicit: bool | None = None,
) -> sa.Select[Song]:
    """A select of songs matching a text search and filters, in the chosen order.

    `tag` is an activity tag (party, study, ...) or a genre; `explicit` False keeps clean songs only.
    """
    query = sa.select(Song)
    if q:
        columns = (Song.title, Song.artist, Song.album)
        query = query.where(sa.or_(*(_contains(column, q) for column in columns)))
        # On SQLite a trigram index narrows the rows the predicate reads, never what it decides: a
        # rare fragment 819 -> 3 ms CPU a browse page at 100,000 songs (search_index.py: when it may).
        candidates = search_index.candidates(db.session, q)
        if candidates is not None:
            query = query.where(Song.id.in_(candidates))
    if genre:
        query = query.where(Song.genre == genre)
    if emotion:
        query = query.where(Song.emotion == emotion)
    if explicit is not None:
        query = query.where(Song.explicit.is_(True) if explicit else sa.not_(Song.explicit.is_(True)))
    if tag:
        tag = canonical_tag(tag)
        if tag in ACTIVITY_FLAGS:
            query = query.where(getattr(Song, ACTIVITY_FLAGS[tag][0]).is_(True))
        else:
            query = query.where(Song.genre == tag)
    return query.order_by(*SORTS.get(sort, SORTS["popularity"]))


def _contains(column: QueryableAttribute[str | None], text: str) -> sa.ColumnElement[bool]:
    """The column contains the text, ignoring case the same way on SQLite and PostgreSQL.

    ILIKE on PostgreSQL, lower() LIKE lower() on SQLite; SQLite's lower() folds only ASCII, so text
    outside ASCII compares through database.unicode_lower, a Python function SQLite calls per row
    (3-4 times slower: 7 -> 32 ms a search at 2,000 songs on a loaded machine, hence ASCII keeps the
    built-in, which folds ASCII text exactly as Unicode does bar two letters: the Kelvin sign and
    the dotted capital I).
    """
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if text.isascii() or db.session.get_bind().dialect.name != "sqlite":
        return column.ilike(pattern, escape="\\")
    return sa.func.unicode_lower(column).like(pattern.lower(), escape="\\")


def page_of_songs(
    page: int,
    per_page: int,
    q: str | None = None,
    genre: str | None = None,
    sort: str = "popularity",
    **filters: Unpack[SongFilters],
) -> Pagination:
    """One page of matching songs (a Flask-SQLAlchemy Pagination); filters as in song_query.

    The match count is kept under the catalog's stamp (stamp.py), so paging through one search or
    filter counts once."""
    query = song_query(q, genre, sort, **filters)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=False)
    # Counted over the ids only: paginate's own count wraps the query selecting every column
    # (lyrics too), which SQLite read row by row: 2.7 ms of a browse page at 2,000 songs.
    ids = query.with_only_columns(Song.id).order_by(None).subquery()
    count = sa.select(sa.func.count()).select_from(ids)
    parts = [q, genre, *(filters.get(name) for name in SongFilters.__annotations__)]
    pagination.total = stamp.kept("matches", parts, lambda: db.session.scalar(count))
    return pagination


def song_tags(song: Song) -> list[str]:
    """The activity tags a song is good for."""
    return [tag for tag, (column, _) in ACTIVITY_FLAGS.items() if getattr(song, column)]


def song_json(song: Song) -> SongJson:
    """A song as the JSON API shows it."""
    return {
        "id": song.id,
        "title": song.title,
        "artist": song.artist,
        "artists": list(song.artists or []),
        "album": song.album,
        "genre": song.genre,
        "genres": list(song.genres or []),
        "emotion": song.emotion,
        "explicit": song.explicit,
        "popularity": song.popularity,
        "release_date": song.release_date.isoformat() if song.release_date else None,
        "release_year": song.release_year,
        "duration_s": song.duration_s,
        "key": song.key_name,
        "tempo": song.tempo,
        "loudness": song.loudness,
        "time_signature": song.time_signature,
        "features": {name: getattr(song, name) for name in AUDIO_FEATURES},
        "tags": song_tags(song),
        "similar_in_dataset": list(song.similar_songs or []),
    }


def similar_in_catalog(similar: Sequence[object] | None) -> list[tuple[dict[str, Any], int | None]]:
    """A dataset "similar songs" list ([{artist, title, score}]) as [(entry, song id or None)]: the id of
    the catalog's song with that artist and title (the first when several match), for a link.

    One query on the indexed title column with the exact titles; artists are then compared without
    case, so a large catalog is never scanned for a song page's few similar songs.
    """
    entries = [s for s in similar or [] if isinstance(s, dict) and s.get("title") and s.get("artist")]
    if not entries:
        return []

    def key(artist: object, title: object) -> tuple[str, str]:
        return str(artist).casefold(), str(title).casefold()

    found: dict[tuple[str, str], int] = {}
    rows = db.session.execute(
        sa.select(Song.id, Song.artist, Song.title)
        .where(Song.title.in_({str(s["title"]) for s in entries}))
        .order_by(Song.id)
    )
    for song_id, artist, title in rows:
        found.setdefault(key(artist, title), song_id)
    return [(s, found.get(key(s["artist"], s["title"]))) for s in entries]


def genre_counts(limit: int | None = None) -> list[tuple[str, int]]:
    """Primary genres with their song counts, most common first."""
    query = (
        sa.select(Song.genre, sa.func.count())
        .where(Song.genre.is_not(None))
        .group_by(Song.genre)
        .order_by(sa.func.count().desc(), Song.genre)
    )
    if limit:
        query = query.limit(limit)
    counts = [(genre, count) for genre, count in db.session.execute(query)]
    return cast(list[tuple[str, int]], counts)  # genre is str: the query leaves NULLs out


def cached_genre_counts(limit: int | None = None) -> list[tuple[str, int]]:
    """genre_counts as the pages' filters show them, kept under the catalog's stamp (stamp.py)."""
    return stamp.kept("genres", [limit], lambda: genre_counts(limit))


def song_count() -> int:
    """How many songs the catalog holds."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Song))
    return count  # type: ignore[return-value]  # a COUNT(*) is never None
