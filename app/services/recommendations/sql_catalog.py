"""The CatalogData the engines read, answered from SQL (and the process's item model)."""

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import sqlalchemy as sa

from ...extensions import db
from ...models import INTERACTION_COLUMNS, Song, SongVector, UserSong
from ...recommend.items import NO_FILTERS, Filters, PopularItem, SongInfo, Vector, unit_rows
from ...vectors.schema import interaction_weight
from ..activity.fans import FanRanking, read_ranking

if TYPE_CHECKING:  # peer_positives imports this module: a runtime import would be circular
    from ...recommend.item_model import ItemModel
    from .peer_positives import PositivesCache

# Statements built once, the ids bound per call: an IN list of literals is coerced value by value
# every time it is built, which cost 0.25 ms per 100 ids (SqlCatalog.songs at 100,000 songs).
_songs_t, _vectors_t = Song.__table__, SongVector.__table__
_SONG_INFO = sa.select(
    *(_songs_t.c[name] for name in ("id", "title", "artist", "genre", "emotion", "explicit", "popularity"))
).where(_songs_t.c.id.in_(sa.bindparam("ids", expanding=True)))
_SONG_VECTORS = sa.select(_vectors_t.c.song_id, _vectors_t.c.vector).where(
    _vectors_t.c.song_id.in_(sa.bindparam("ids", expanding=True))
)

# {user id: {song id: weight in (0, 1]}}: what positives() answers.
Positives = dict[int, dict[int, float]]
_Select = TypeVar("_Select", bound=sa.Select[*tuple[Any, ...]])


def positive_states(user_ids: Iterable[int] | None = None) -> Iterator[tuple[int, int, float]]:
    """(user id, song id, weight > 0) of every positive user-song state (of these users, when given).

    Core, not ORM: thousands of neighbour rows a request, and ORM row handling doubled the time.
    """
    t = UserSong.__table__
    query = sa.select(t.c.user_id, t.c.song_id, *INTERACTION_COLUMNS)
    if user_ids is not None:
        query = query.where(t.c.user_id.in_(list(user_ids)))
    for user_id, song_id, *state in db.session.connection().execute(query):
        weight = interaction_weight(*state)
        if weight > 0:
            yield user_id, song_id, weight


def scaled_positives(user_ids: Iterable[int] | None) -> Positives:
    """{user id: {song id: weight scaled so the user's strongest is 1}} of these users, read from SQL."""
    weights: Positives = {}
    for user_id, song_id, weight in positive_states(user_ids):
        weights.setdefault(user_id, {})[song_id] = weight
    for songs in weights.values():
        top = max(songs.values())
        for song_id in songs:
            songs[song_id] /= top
    return weights


class SqlCatalog:
    """The CatalogData the engines read, answered from SQL. One instance serves one request."""

    def __init__(
        self,
        item_model: Callable[[], "ItemModel | None"] = lambda: None,
        peers: "PositivesCache | None" = None,
        fans: FanRanking | None = None,
    ) -> None:
        """item_model() gives the process's current item model (this package's item_model.current_model);
        peers, a PositivesCache (this package's peer_positives), answers positives() when given;
        fans, a FanRanking (app.services.activity.fans), ranks popular() when given."""
        self._item_model = item_model
        self._peers = peers
        self._fans = fans
        # For you's lists and its fusion share one read of their songs (app/recommend/plan.py), and
        # whatever asks again is answered from here: each song is read once per request. An id
        # that does not exist is remembered as None, so it is not looked up again either.
        self._songs: dict[int, SongInfo | None] = {}

    def songs(self, ids: Iterable[int]) -> dict[int, SongInfo]:
        """{id: SongInfo} for the ids that exist."""
        ids = set(ids)
        missing = [i for i in ids if i not in self._songs]
        if missing:
            # Core, not ORM: a For you request reads ~100 songs, and ORM rows cost twice the time.
            # All rows in one fetch (one at a time cost 0.35 ms more per 100 songs), unpacked as
            # tuples (named attribute access cost 2 ms of 5 for 180 songs).
            rows = db.session.connection().execute(_SONG_INFO, {"ids": missing}).all()
            self._songs.update(dict.fromkeys(missing))
            for song_id, title, artist, genre, emotion, explicit, popularity in rows:
                self._songs[song_id] = SongInfo(
                    song_id, title, artist, genre, emotion, bool(explicit), popularity or 0
                )
        return {i: song for i in ids if (song := self._songs[i]) is not None}

    def vectors(self, ids: Iterable[int]) -> dict[int, Vector]:
        """{id: float32 vector} of the songs that have one, read from SQL, the index's source, in one query.

        1.1 ms for 230 songs, where the vector store's retrieve and the conversion of its lists took 5.9.
        """
        ids = list(set(ids))
        if not ids:
            return {}
        rows = db.session.connection().execute(_SONG_VECTORS, {"ids": ids}).all()
        if not rows:
            return {}
        return dict(
            zip(
                (song_id for song_id, _ in rows),
                unit_rows(
                    np.frombuffer(b"".join(blob for _, blob in rows), dtype="<f4").reshape(len(rows), -1)
                ),
            )
        )

    def positives(self, user_ids: Iterable[int]) -> Positives:
        """{user id: {song id: weight scaled so the user's strongest is 1}}."""
        if self._peers is not None:
            return self._peers.positives(user_ids)
        return scaled_positives(user_ids)

    def item_model(self) -> "ItemModel | None":
        """The process's item model as it is now; None until the first fit (never waits for one)."""
        return self._item_model()

    def popular(self, k: int, filters: Filters, exclude: Collection[int]) -> list[PopularItem]:
        """The k songs most liked here, then most popular on Spotify, passing filters."""
        ranked = self._fans.rows() if self._fans is not None else read_ranking()
        result: list[PopularItem] = []
        fan_songs = 0
        for row in ranked:
            # a FanRow has every field accepts reads (genre, emotion, explicit)
            if filters != NO_FILTERS and not filters.accepts(cast(SongInfo, row)):
                continue
            fan_songs += 1
            if row.id not in exclude:
                result.append(_popular_item(row.id, row.popularity, row.fans))
                if len(result) == k:
                    return result
        # Every liked song passing the filters is above; the rest by Spotify popularity, read
        # through its index: never a sort of the whole catalog.
        liked = {row.id for row in ranked}
        by_popularity = db.session.execute(
            _filtered(sa.select(Song.id, Song.popularity), filters)
            .where(Song.popularity.is_not(None))
            .order_by(Song.popularity.desc().nulls_last(), Song.id)  # the index's order on PostgreSQL too
            .limit(k + len(exclude) + fan_songs)
        ).all()
        for song_id, popularity in by_popularity:
            if song_id not in exclude and song_id not in liked:
                result.append(_popular_item(song_id, popularity, 0))
                if len(result) == k:
                    break
        return result


def _popular_item(song_id: int, popularity: int | None, fans: int) -> PopularItem:
    if fans:
        reason = f"Popular here: liked by {fans} listener{'s' if fans != 1 else ''}"
    else:
        reason = f"Popular on Spotify ({popularity or 0}/100)"
    return song_id, float(fans) + (popularity or 0) / 100, reason


def _filtered(query: _Select, filters: Filters) -> _Select:
    if filters.no_explicit:
        query = query.where(sa.not_(Song.explicit.is_(True)))
    if filters.genre:
        query = query.where(Song.genre == filters.genre)
    if filters.emotion:
        query = query.where(Song.emotion == filters.emotion)
    return query
