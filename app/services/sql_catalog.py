"""The CatalogData the engines read, answered from SQL (and the process's item model)."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Song, UserSong
from ..recommend.items import SongInfo
from ..recommend.taste import interaction_weight


def positive_states(user_ids=None):
    """(user id, song id, weight > 0) of every positive user-song state (of these users, when given).

    Core, not ORM: thousands of neighbour rows a request, and ORM row handling doubled the time.
    """
    t = UserSong.__table__
    query = sa.select(t.c.user_id, t.c.song_id, t.c.play_count, t.c.liked, t.c.rating, t.c.bookmarked,
                      t.c.disliked)
    if user_ids is not None:
        query = query.where(t.c.user_id.in_(list(user_ids)))
    for user_id, song_id, *state in db.session.connection().execute(query):
        weight = interaction_weight(*state)
        if weight > 0:
            yield user_id, song_id, weight


class SqlCatalog:
    """The CatalogData the engines read, answered from SQL. One instance serves one request."""

    def __init__(self, item_model=lambda: None):
        """item_model() gives the process's current item model (app.services.item_model.current_model)."""
        self._item_model = item_model
        # For you's engines ask for the same songs again (candidates, their reasons, the artist cap):
        # each song is read once per request.
        self._songs = {}

    def songs(self, ids):
        """{id: SongInfo} for the ids that exist."""
        ids = set(ids)
        missing = [i for i in ids if i not in self._songs]
        if missing:
            t = Song.__table__
            # Core, not ORM: a For you request reads ~150 songs, and ORM rows cost twice the time.
            rows = db.session.connection().execute(
                sa.select(t.c.id, t.c.title, t.c.artist, t.c.genre, t.c.genres, t.c.emotion, t.c.explicit,
                          t.c.popularity).where(t.c.id.in_(missing))
            )
            for r in rows:
                self._songs[r.id] = SongInfo(r.id, r.title, r.artist, r.genre, tuple(r.genres or ()), r.emotion,
                                             bool(r.explicit), r.popularity or 0)
        return {i: self._songs[i] for i in ids if i in self._songs}

    def positives(self, user_ids):
        """{user id: {song id: weight scaled so the user's strongest is 1}}."""
        weights = {}
        for user_id, song_id, weight in positive_states(user_ids):
            weights.setdefault(user_id, {})[song_id] = weight
        for songs in weights.values():
            top = max(songs.values())
            for song_id in songs:
                songs[song_id] /= top
        return weights

    def item_model(self):
        """The process's item model as it is now; None until the first fit (never waits for one)."""
        return self._item_model()

    def popular(self, k, filters, exclude):
        """The k songs most liked here, then most popular on Spotify, passing filters."""
        fans = dict(db.session.execute(
            sa.select(UserSong.song_id, sa.func.count())
            .where(sa.or_(UserSong.liked.is_(True), UserSong.rating >= 4, UserSong.bookmarked.is_(True)))
            .group_by(UserSong.song_id)
        ).all())
        liked_here = db.session.execute(_filtered(sa.select(Song.id, Song.popularity), filters)
                                        .where(Song.id.in_(list(fans)))).all() if fans else []
        liked_here.sort(key=lambda row: (-fans[row.id], -(row.popularity or 0), row.id))
        # The rest by Spotify popularity, read through its index: never a sort of the whole catalog.
        by_popularity = db.session.execute(
            _filtered(sa.select(Song.id, Song.popularity), filters)
            .where(Song.popularity.is_not(None))
            .order_by(Song.popularity.desc(), Song.id)
            .limit(k + len(exclude) + len(fans))
        ).all()
        result, seen = [], set(exclude)
        for song_id, popularity in [*liked_here, *by_popularity]:
            if song_id in seen:
                continue
            seen.add(song_id)
            count = fans.get(song_id, 0)
            if count:
                reason = f"Popular here: liked by {count} listener{'s' if count != 1 else ''}"
            else:
                reason = f"Popular on Spotify ({popularity or 0}/100)"
            result.append((song_id, float(count) + (popularity or 0) / 100, reason))
            if len(result) == k:
                break
        return result


def _filtered(query, filters):
    if filters.no_explicit:
        query = query.where(sa.not_(Song.explicit.is_(True)))
    if filters.genre:
        query = query.where(Song.genre == filters.genre)
    if filters.emotion:
        query = query.where(Song.emotion == filters.emotion)
    return query
