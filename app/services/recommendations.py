"""Recommendations for the web and the API: loads what the engines need from SQL, degrades when vectors are down."""

import logging

import numpy as np
import sqlalchemy as sa

from ..extensions import db
from ..models import Song, UserSong, UserVector, from_blob
from ..recommend.collaborative import collaborative_recommendations
from ..recommend.content import content_recommendations
from ..recommend.fusion import for_you_recommendations
from ..recommend.items import Filters, SongInfo, UserContext
from ..recommend.knowledge import knowledge_recommendations
from ..recommend.popular import popular_recommendations
from ..recommend.similar import similar_songs as similar_engine
from ..recommend.taste import interaction_weight
from ..vectors import VectorStoreError
from .catalog import song_json
from .user_vectors import refresh_user_vector
from .vector_index import ensure_collections

log = logging.getLogger(__name__)

ENGINES = {
    "content": content_recommendations,
    "collaborative": collaborative_recommendations,
    "knowledge": knowledge_recommendations,
    "for_you": for_you_recommendations,
}
APPROACHES = (*ENGINES, "popular")
MAX_K = 100

__all__ = ["APPROACHES", "Filters", "SqlCatalog", "recommend_for", "similar_songs", "user_context"]


class SqlCatalog:
    """The CatalogData the engines read, answered from SQL."""

    def songs(self, ids):
        """{id: SongInfo} for the ids that exist."""
        ids = list(ids)
        if not ids:
            return {}
        rows = db.session.execute(
            sa.select(Song.id, Song.title, Song.artist, Song.genre, Song.genres, Song.emotion,
                      Song.explicit, Song.popularity).where(Song.id.in_(ids))
        )
        return {
            r.id: SongInfo(r.id, r.title, r.artist, r.genre, tuple(r.genres or ()), r.emotion,
                           bool(r.explicit), r.popularity or 0)
            for r in rows
        }

    def positives(self, user_ids):
        """{user id: {song id: weight scaled so the user's strongest is 1}}."""
        weights = {}
        t = UserSong.__table__
        # Core, not ORM: thousands of neighbour rows a request, and ORM row handling doubled the time.
        rows = db.session.connection().execute(
            sa.select(t.c.user_id, t.c.song_id, t.c.play_count, t.c.liked, t.c.rating, t.c.bookmarked,
                      t.c.disliked).where(t.c.user_id.in_(list(user_ids)))
        )
        for user_id, song_id, *state in rows:
            weight = interaction_weight(*state)
            if weight > 0:
                weights.setdefault(user_id, {})[song_id] = weight
        for songs in weights.values():
            top = max(songs.values())
            for song_id in songs:
                songs[song_id] /= top
        return weights

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


def _verb(play_count, liked, rating, bookmarked):
    if liked:
        return "liked"
    if rating and rating >= 4:
        return f"rated {rating}/5"
    if bookmarked:
        return "bookmarked"
    return f"played {play_count} times"


def user_context(user):
    """The engines' view of a user: vectors from SQL, history weights, and the library to exclude."""
    row = db.session.get(UserVector, user.id)
    if row is None:
        refresh_user_vector(user.id)  # first request of a user nobody computed a vector for yet
        row = db.session.get(UserVector, user.id)
    ctx = UserContext(user.id, emotions=tuple(user.emotions or ()), tags=tuple(user.tags or ()))
    if row is not None:
        ctx.taste = np.array(from_blob(row.taste_vector))
        if row.preference_vector:
            ctx.preference = np.array(from_blob(row.preference_vector))
    library = []
    for song_id, plays, liked, rating, bookmarked, disliked in db.session.execute(
        sa.select(UserSong.song_id, UserSong.play_count, UserSong.liked, UserSong.rating,
                  UserSong.bookmarked, UserSong.disliked).where(UserSong.user_id == user.id)
    ):
        library.append(song_id)
        weight = interaction_weight(plays, liked, rating, bookmarked, disliked)
        if weight:
            ctx.history[song_id] = weight
            if weight > 0:
                ctx.verbs[song_id] = _verb(plays, liked, rating, bookmarked)
    ctx.library = frozenset(library)
    return ctx


def _check_k(k):
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be a whole number from 1 to {MAX_K}")


def _items(recommendations):
    songs = {s.id: s for s in db.session.scalars(sa.select(Song).where(Song.id.in_([r.song_id for r in recommendations])))}
    return [
        {"song": song_json(songs[r.song_id]), "score": round(float(r.score), 6), "approach": r.approach,
         "reason": r.reason, "sources": list(r.sources)}
        for r in recommendations if r.song_id in songs
    ]


def recommend_for(user, approach="for_you", k=10, filters=Filters()):
    """Ranked, explained recommendations; the popular list with degraded=True if vectors are down."""
    if approach not in APPROACHES:
        raise ValueError(f"unknown approach {approach!r}: expected one of {', '.join(APPROACHES)}")
    _check_k(k)
    ctx = user_context(user)
    catalog = SqlCatalog()
    degraded = False
    if approach == "popular":
        items = popular_recommendations(ctx, catalog, k, filters)
    else:
        try:
            items = ENGINES[approach](ctx, ensure_collections(), catalog, k=k, filters=filters)
        except VectorStoreError as exc:
            log.warning("vector store unavailable, serving popular songs: %s", exc)
            items, degraded = popular_recommendations(ctx, catalog, k, filters), True
    if not items and approach == "for_you":  # cold start: nothing known about the user yet
        items = popular_recommendations(ctx, catalog, k, filters)
    return {"user_id": user.id, "approach": approach, "k": k, "degraded": degraded, "items": _items(items)}


def similar_songs(song, k=10, user=None):
    """Songs like this one (song radio), without the listener's dislikes; popular ones if vectors are down."""
    _check_k(k)
    disliked = set()
    if user is not None and getattr(user, "is_authenticated", False):
        disliked = set(db.session.scalars(
            sa.select(UserSong.song_id).where(UserSong.user_id == user.id, UserSong.disliked.is_(True))
        ))
    catalog = SqlCatalog()
    try:
        items, degraded = similar_engine(song.id, ensure_collections(), catalog, k, exclude=disliked), False
    except VectorStoreError as exc:
        log.warning("vector store unavailable, serving popular songs: %s", exc)
        ctx = UserContext(0, library=frozenset(disliked | {song.id}))
        items, degraded = popular_recommendations(ctx, catalog, k), True
    return {"song_id": song.id, "degraded": degraded, "items": _items(items)}
