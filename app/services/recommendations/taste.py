"""The taste page's data: the catalog map (fitted off the request path, cached per process), the
user's own songs and For you list placed on it, and their moods and genres by month.

The map is fitted once per catalog state, not per request: a PCA basis from FIT_SAMPLE song vectors
read from SQL, and BACKGROUND of those songs as dots. A request only reads a two-column key
(catalog_key), the user's rows, and projects at most a few hundred vectors with the cached basis.
"""

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app

from ...extensions import db, per_app
from ...models import ActivityEvent, Song, SongVector, User, UserSong, UserVector, from_blob
from ...taste_map import Projection, canvas_points, dot_path, fit_projection, one_blas_thread, sample_indices
from ...vectors.schema import interaction_weight
from ..ops.background import OneThread
from .lists import recommend_for

log = logging.getLogger(__name__)

EXTENSION = "taste_map"
# Vectors the basis is fitted on. At 100,000 songs (bench/taste.py's catalog) a dot lands 8 px on
# average (p95 16 px, on a 640 px map) from where a fit on every song puts it; 10,000 gives 8 px
# too, 2,000 gives 24 px.
FIT_SAMPLE = 5000
BACKGROUND = 2000  # dots drawn: the moods' regions show, in 27 KB of path data
SEED = 13  # the same catalog always draws the same map
OWN_LIMIT = 200  # the user's songs marked: the most recent ones
FOR_YOU_K = 12  # the For you page's length, so the page and this one share one cached list
MONTHS_BACK = 400  # days of activity read for the charts (12 bars plus the partial month)
ID_CHUNK = 500  # ids per IN (...) when reading vectors
NO_MOOD = "unknown"

CatalogKey = tuple[str, int, int]  # (database URI, songs with a vector, highest song id)
Vectors = dict[int, np.ndarray]  # song id -> vector
Monthly = dict[str, dict[str, int]]  # "YYYY-MM" -> {mood or genre: count}


@dataclass(frozen=True)
class CatalogMap:
    """The fitted map of one catalog state."""

    key: CatalogKey  # catalog_key() when fitted
    projection: Projection | None  # None when the catalog has fewer than 3 vectors
    paths: dict[str, str]  # mood -> SVG dot path of its background songs
    counts: dict[str, int]  # mood -> background dots
    songs: int  # songs with a vector
    fit_seconds: float


@dataclass
class MarkedSong:
    id: int
    title: str
    artist: str
    emotion: str | None
    genre: str | None
    x: float | None = None  # None: no vector (not embedded yet), so not drawn
    y: float | None = None


def catalog_key() -> CatalogKey:
    """What identifies the catalog's vectors: their count and highest song id.

    Two queries, not one: SQLite answers a bare count(*) and max(song_id) each in about 0.02 ms at
    100,000 songs, but scans a covering index for both in one select (11 ms; count(song_id): 18 ms).
    A re-embedded song keeps the key, but its dot moves by little, and marked songs are projected
    from their current vectors on every request anyway. max(updated_at) would catch it but has no
    index: a scan of 150 MB.
    """
    count = db.session.scalar(sa.select(sa.func.count()).select_from(SongVector))
    top = db.session.scalar(sa.select(sa.func.max(SongVector.song_id)))
    # COUNT(*) always returns a row, so count is never None
    return (current_app.config["SQLALCHEMY_DATABASE_URI"], int(count), int(top or 0))  # type: ignore[arg-type]


def _vectors_with_moods(ids: Iterable[int]) -> dict[int, tuple[np.ndarray, str | None]]:
    """{song id: (vector, emotion)} for these ids, read ID_CHUNK at a time."""
    found: dict[int, tuple[np.ndarray, str | None]] = {}
    ids = [int(i) for i in ids]
    for start in range(0, len(ids), ID_CHUNK):
        rows = db.session.execute(
            sa.select(SongVector.song_id, SongVector.vector, Song.emotion)
            .join(Song, Song.id == SongVector.song_id)
            .where(SongVector.song_id.in_(ids[start : start + ID_CHUNK]))
        )
        for song_id, blob, emotion in rows:
            found[song_id] = (from_blob(blob), emotion)
    return found


def fit_catalog_map(key: CatalogKey | None = None) -> CatalogMap:
    """Fit the basis on a seeded sample of song vectors and place a seeded subset as dots."""
    started = time.perf_counter()
    key = key or catalog_key()
    ids = np.array(
        db.session.scalars(sa.select(SongVector.song_id).order_by(SongVector.song_id)).all(), dtype=np.int64
    )
    chosen = ids[sample_indices(len(ids), FIT_SAMPLE, SEED)]  # random order: its head is a random subset
    rows = _vectors_with_moods(chosen)
    chosen = [int(i) for i in chosen if int(i) in rows]
    if len(chosen) < 3:
        return CatalogMap(key, None, {}, {}, len(ids), time.perf_counter() - started)
    with one_blas_thread():
        projection = fit_projection(np.stack([rows[i][0] for i in chosen]))
    background = chosen[:BACKGROUND]
    points = canvas_points(projection, np.stack([rows[i][0] for i in background]))
    moods = np.array([rows[i][1] or NO_MOOD for i in background])
    paths: dict[str, str]
    counts: dict[str, int]
    paths, counts = {}, {}
    for mood in sorted(set(moods)):
        mask = moods == mood
        paths[mood], counts[mood] = dot_path(points[mask]), int(mask.sum())
    return CatalogMap(key, projection, paths, counts, len(ids), time.perf_counter() - started)


class MapHolder:
    """One process's map, refitted in a thread when the catalog's key changes.

    A request never waits for a fit (TASTE_MAP_FIT='background', the default): it gets the previous
    map, or None before the first fit, and the page says the map is being prepared. Tests fit inline.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.map: CatalogMap | None = None
        self._fit = OneThread(self._run, "taste-map-fit")
        self._failed_key: CatalogKey | None = None

    @property
    def _inline(self) -> bool:
        return self.app.config.get("TASTE_MAP_FIT") == "inline"

    def current(self, key: CatalogKey | None = None) -> CatalogMap | None:
        """The map there is now; starts a refit when the catalog changed since it was fitted."""
        key = key or catalog_key()
        current = self.map
        if (current is None or current.key != key) and key != self._failed_key:
            self.refresh(wait=self._inline)
        return self.map

    def failed(self, key: CatalogKey) -> bool:
        """True when the last fit of this catalog state failed (the page says so instead of waiting)."""
        return key == self._failed_key

    def refresh(self, wait: bool = False) -> None:
        """Fit now (wait=True) or in a thread; a fit already running is not started twice."""
        if wait:
            self._run()
            return
        self._fit.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a running fit (tests, benchmarks)."""
        self._fit.join(timeout)

    def _run(self) -> None:
        key = None
        try:
            with self.app.app_context():
                key = catalog_key()
                if self.map is None or self.map.key != key:
                    self.map = fit_catalog_map(key)
                    log.info("taste map fitted in %.2f s (%d songs)", self.map.fit_seconds, self.map.songs)
                    self._failed_key = None
        except Exception:  # the page keeps the previous map; a changed catalog tries again
            self._failed_key = key
            log.exception("taste map fit failed")


def holder(app: Flask | None = None) -> MapHolder:
    """The app's map holder, created on first use."""
    return cast(MapHolder, per_app(EXTENSION, MapHolder, app))


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
    found = _vectors_with_moods([song.id for song in songs])
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
