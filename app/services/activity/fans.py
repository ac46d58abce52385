"""The songs liked here, ranked by how many listeners like them: read at most once a minute per process.

The popular list (its own tab, a newcomer's For you, and the stand-in while vectors are down)
ranks songs by their fans here. Counting them is a GROUP BY over every positive user-song row:
12 ms on the 500-user demo's 15,000 rows, and linear in the activity table, so it would grow
with the community on every request. One ranking is kept per process and re-read when it is
older than POPULAR_REFRESH_SECONDS (60 by default): other listeners' likes reach the popular
list within that time, well inside the recommendation cache's own TTL of 300 s, which already
bounds how late they show. A listener's own actions need no refresh: the songs they touch are
excluded from their lists by the request itself.
"""

import time
from collections.abc import Callable
from threading import Lock
from typing import NamedTuple, cast

import sqlalchemy as sa

from ...extensions import db, per_app
from ...models import Song, UserSong

EXTENSION = "fan_ranking"
REFRESH_SECONDS = 60


class FanRow(NamedTuple):
    """A liked song: what ranking and Filters.accepts read."""

    id: int
    popularity: int | None
    fans: int
    genre: str | None
    emotion: str | None
    explicit: bool


def read_ranking() -> list[FanRow]:
    """Every song with a fan here: most fans first, then Spotify popularity, then id."""
    positive = sa.or_(UserSong.liked.is_(True), UserSong.rating >= 4, UserSong.bookmarked.is_(True))
    fans = (
        sa.select(UserSong.song_id, sa.func.count().label("fans"))
        .where(positive)
        .group_by(UserSong.song_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Song.id, Song.popularity, fans.c.fans, Song.genre, Song.emotion, Song.explicit)
        .join(fans, fans.c.song_id == Song.id)
        .order_by(fans.c.fans.desc(), sa.func.coalesce(Song.popularity, 0).desc(), Song.id)
    )
    return [FanRow(i, p, f, g, e, bool(x)) for i, p, f, g, e, x in rows]


class FanRanking:
    """read_ranking(), kept for `ttl` seconds (0: read on every call)."""

    def __init__(self, ttl: float = REFRESH_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._rows: list[FanRow] | None = None
        self._read_at = 0.0
        self._lock = Lock()

    def rows(self) -> list[FanRow]:
        """The ranking, re-read when older than the TTL (two threads may both re-read: harmless)."""
        now = self._clock()
        with self._lock:
            rows, fresh = self._rows, self._rows is not None and now - self._read_at < self.ttl
        if fresh:
            return rows  # type: ignore[return-value]  # fresh: not None
        rows = read_ranking()
        with self._lock:
            self._rows, self._read_at = rows, now
        return rows

    def clear(self) -> None:
        """Re-read on the next call."""
        with self._lock:
            self._rows = None


def ranking() -> FanRanking:
    """This app's ranking."""
    return cast(
        FanRanking,
        per_app(
            EXTENSION,
            lambda app: FanRanking(float(app.config.get("POPULAR_REFRESH_SECONDS", REFRESH_SECONDS))),
        ),
    )
