"""The taste page's catalog map: fitted off the request path, once per catalog state, cached per process.

A PCA basis from FIT_SAMPLE song vectors read from SQL, and BACKGROUND of those songs as dots. A
request only reads a two-column key (catalog_key); the taste page (taste.py) projects the user's few
hundred songs with the cached basis.
"""

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app

from ...extensions import db, per_app
from ...models import Song, SongVector, from_blob
from ...taste_map import Projection, canvas_points, dot_path, fit_projection, one_blas_thread, sample_indices
from ..ops.background import OneThread

log = logging.getLogger(__name__)

EXTENSION = "taste_map"
# Vectors the basis is fitted on. At 100,000 songs (bench/taste.py's catalog) a dot lands 8 px on
# average (p95 16 px, on a 640 px map) from where a fit on every song puts it; 10,000 gives 8 px
# too, 2,000 gives 24 px.
FIT_SAMPLE = 5000
BACKGROUND = 2000  # dots drawn: the moods' regions show, in 27 KB of path data
SEED = 13  # the same catalog always draws the same map
ID_CHUNK = 500  # ids per IN (...) when reading vectors
NO_MOOD = "unknown"

CatalogKey = tuple[str, int, int]  # (database URI, songs with a vector, highest song id)


@dataclass(frozen=True)
class CatalogMap:
    """The fitted map of one catalog state."""

    key: CatalogKey  # catalog_key() when fitted
    projection: Projection | None  # None when the catalog has fewer than 3 vectors
    paths: dict[str, str]  # mood -> SVG dot path of its background songs
    counts: dict[str, int]  # mood -> background dots
    songs: int  # songs with a vector
    fit_seconds: float


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


def vectors_with_moods(ids: Iterable[int]) -> dict[int, tuple[np.ndarray, str | None]]:
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
    rows = vectors_with_moods(chosen)
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
