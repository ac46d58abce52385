"""The taste page's data: the user's own songs and For you list placed on the catalog map
(catalog_map.py, fitted off the request path and cached per process), and their moods and genres
by month. A request reads the map's key, the user's rows, and projects at most a few hundred vectors
with the cached basis.
"""

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from ...extensions import db
from ...models import ActivityEvent, Song, SongVector, User, UserSong, UserVector, from_blob
from ...taste_map import canvas_points
from ...vectors.schema import interaction_weight
from .catalog_map import NO_MOOD, CatalogMap, catalog_key, holder, vectors_with_moods
from .lists import recommend_for

log = logging.getLogger(__name__)

OWN_LIMIT = 200  # the user's songs marked: the most recent ones
FOR_YOU_K = 12  # the For you page's length, so the page and this one share one cached list
MONTHS_BACK = 400  # days of activity read for the charts (12 bars plus the partial month)

Vectors = dict[int, np.ndarray]  # song id -> vector
Monthly = dict[str, dict[str, int]]  # "YYYY-MM" -> {mood or genre: count}


@dataclass
class MarkedSong:
    id: int
    title: str
    artist: str
    emotion: str | None
    genre: str | None
    x: float | None = None  # None: no vector (not embedded yet), so not drawn
    y: float | None = None


def own_songs(user_id: int, limit: int = OWN_LIMIT) -> tuple[list[MarkedSong], Vectors, int]:
    """(the user's most recent positive songs, {id: vector}, how many positive songs they have).

    Positive as the taste vector counts them: liked, saved, rated 4-5 or replayed, not disliked.
    """
    positive = sa.and_(
        UserSong.user_id == user_id,
        UserSong.disliked.is_(False),
        sa.or_(
            UserSong.liked.is_(True),
            UserSong.bookmarked.is_(True),
            UserSong.rating >= 4,
            UserSong.play_count > 1,
        ),
    )
    rows = db.session.execute(
        sa.select(
            UserSong.song_id,
            UserSong.play_count,
            UserSong.liked,
            UserSong.rating,
            UserSong.bookmarked,
            Song.title,
            Song.artist,
            Song.emotion,
            Song.genre,
            SongVector.vector,
        )
        .join(Song, Song.id == UserSong.song_id)
        .outerjoin(SongVector, SongVector.song_id == UserSong.song_id)
        .where(positive)
        .order_by(UserSong.updated_at.desc(), UserSong.song_id)
        .limit(limit)
    ).all()
    songs: list[MarkedSong]
    vectors: Vectors
    songs, vectors = [], {}
    for song_id, plays, liked, rating, bookmarked, title, artist, emotion, genre, blob in rows:
        if interaction_weight(plays, liked, rating, bookmarked) <= 0:  # e.g. liked but rated 1
            continue
        songs.append(MarkedSong(song_id, title, artist, emotion, genre))
        if blob:
            vectors[song_id] = from_blob(blob)
    total = (
        len(songs)
        if len(rows) < limit
        else db.session.scalar(sa.select(sa.func.count()).select_from(UserSong).where(positive))
    )
    return songs, vectors, total  # type: ignore[return-value]  # a COUNT(*) is never None


def for_you_songs(user: User) -> tuple[list[MarkedSong], Vectors, bool]:
    """(the user's current For you list, {id: vector}, degraded), through the recommendation cache."""
    result = recommend_for(user, "for_you", FOR_YOU_K)
    songs = [
        MarkedSong(
            item["song"]["id"],
            item["song"]["title"],
            item["song"]["artist"],
            item["song"]["emotion"],
            item["song"]["genre"],
        )
        for item in result["items"]
    ]
    found = vectors_with_moods([song.id for song in songs])
    return songs, {song_id: vector for song_id, (vector, _) in found.items()}, bool(result["degraded"])


def taste_vector(user_id: int) -> np.ndarray | None:
    """The user's taste vector as kept in SQL, or None."""
    blob = db.session.scalar(sa.select(UserVector.taste_vector).where(UserVector.user_id == user_id))
    return from_blob(blob) if blob else None


def place(catalog_map: CatalogMap | None, songs: list[MarkedSong], vectors: Vectors) -> None:
    """Give each song with a vector its position on the map (in place)."""
    if catalog_map is None or catalog_map.projection is None:
        return
    drawn = [song for song in songs if song.id in vectors]
    if not drawn:
        return
    points = canvas_points(catalog_map.projection, np.stack([vectors[song.id] for song in drawn]))
    for song, (x, y) in zip(drawn, points):
        song.x, song.y = round(float(x), 1), round(float(y), 1)


def monthly_activity(user_id: int) -> tuple[Monthly, Monthly]:
    """({"YYYY-MM": {mood: n}}, {"YYYY-MM": {genre: n}}) of the user's plays, likes, saves and 4-5
    ratings, over the last MONTHS_BACK days before their latest event."""
    latest = db.session.scalar(
        sa.select(sa.func.max(ActivityEvent.created_at)).where(ActivityEvent.user_id == user_id)
    )
    if latest is None:
        return {}, {}
    year = sa.extract("year", ActivityEvent.created_at)
    month = sa.extract("month", ActivityEvent.created_at)
    rows = db.session.execute(
        sa.select(year, month, Song.emotion, Song.genre, sa.func.count())
        .join(Song, Song.id == ActivityEvent.song_id)
        .where(
            ActivityEvent.user_id == user_id,
            ActivityEvent.created_at >= latest - dt.timedelta(days=MONTHS_BACK),
            sa.or_(
                ActivityEvent.kind.in_(("play", "like", "bookmark")),
                sa.and_(ActivityEvent.kind == "rate", ActivityEvent.value >= 4),
            ),
        )
        .group_by(year, month, Song.emotion, Song.genre)
    )
    moods: Monthly = {}
    genres: Monthly = {}
    for y, m, emotion, genre, count in rows:
        key = f"{int(y):04d}-{int(m):02d}"
        mood_row = moods.setdefault(key, {})
        mood_row[emotion or NO_MOOD] = mood_row.get(emotion or NO_MOOD, 0) + count
        genre_row = genres.setdefault(key, {})
        genre_row[genre or "unknown"] = genre_row.get(genre or "unknown", 0) + count
    return moods, genres


@dataclass
class TastePage:
    catalog_map: CatalogMap | None  # None while the first fit runs, or when it failed
    map_failed: bool
    own: list[MarkedSong]
    own_total: int
    for_you: list[MarkedSong]
    degraded: bool
    you: tuple[float, float] | None  # the taste vector's position
    moods: Monthly
    genres: Monthly


def taste_page(user: User) -> TastePage:
    """Everything the page shows for this user (their own data only)."""
    maps, key = holder(), catalog_key()
    catalog_map = maps.current(key)
    own, own_vectors, own_total = own_songs(user.id)
    for_you, rec_vectors, degraded = for_you_songs(user)
    place(catalog_map, own, own_vectors)
    place(catalog_map, for_you, rec_vectors)
    you = None
    vector = taste_vector(user.id)
    if vector is not None and catalog_map is not None and catalog_map.projection is not None:
        x, y = canvas_points(catalog_map.projection, vector)[0]
        you = (round(float(x), 1), round(float(y), 1))
    moods, genres = monthly_activity(user.id)
    failed = catalog_map is None and maps.failed(key)
    return TastePage(catalog_map, failed, own, own_total, for_you, degraded, you, moods, genres)
