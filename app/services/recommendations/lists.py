"""Recommendations for the web and the API: engines fed from SQL, degrading when vectors are down."""

import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app

from ...extensions import db
from ...models import INTERACTION_COLUMNS, Song, User, UserSong, UserVector, from_blob
from ...recommend.fusion import DEFAULT_PARAMS, FusionParams, for_you_recommendations
from ...recommend.items import CatalogData, Filters, Recommendation, UserContext
from ...recommend.popular import popular_recommendations
from ...recommend.registry import APPROACHES, COMPONENTS, FOR_YOU, POPULAR
from ...recommend.similar import similar_songs as similar_engine
from ...vectors import VectorStore, VectorStoreError
from ...vectors.schema import interaction_weight
from ..activity import fans
from ..catalog.browse import song_json
from ..indexing.user_vectors import refresh_user_vector
from ..indexing.vector_collections import ensure_collections
from . import cache, item_model, peer_positives, stable_searches
from .sql_catalog import SqlCatalog

log = logging.getLogger(__name__)

MAX_K = 100
PARAMS_EXTENSION = "fusion_params"

__all__ = [
    "APPROACHES",
    "Filters",
    "SqlCatalog",
    "fusion_params",
    "recommend_for",
    "similar_songs",
    "user_context",
]


def load_fusion_params(app: Flask) -> None:
    """Read FUSION_WEIGHTS's file into the app (the defaults when unset).

    Raises RuntimeError saying why the file is unusable.
    """
    path = app.config.get("FUSION_WEIGHTS")
    try:
        app.extensions[PARAMS_EXTENSION] = FusionParams.load(path) if path else DEFAULT_PARAMS
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"FUSION_WEIGHTS={path}: {exc}") from exc


def fusion_params() -> FusionParams:
    """For you's fitted weights, as create_app read them (load_fusion_params)."""
    return cast(FusionParams, current_app.extensions.get(PARAMS_EXTENSION, DEFAULT_PARAMS))


def _for_you(
    ctx: UserContext, store: VectorStore, catalog: CatalogData, k: int = 10, filters: Filters = Filters()
) -> list[Recommendation]:
    return for_you_recommendations(ctx, store, catalog, k=k, filters=filters, params=fusion_params())


# every approach but popular, which needs no vectors
ENGINES: dict[str, Callable[..., list[Recommendation]]] = {FOR_YOU: _for_you, **COMPONENTS}
# A refitted item model changes item-based and For you lists: its version is part of every cache key.
cache.register_model_version(item_model.model_version)


def _verb(play_count: int, liked: bool, rating: int | None, bookmarked: bool) -> str:
    if liked:
        return "liked"
    if rating and rating >= 4:
        return f"rated {rating}/5"
    if bookmarked:
        return "bookmarked"
    return f"played {play_count} times"


def user_context(user: User) -> UserContext:
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
    library: list[int] = []
    for song_id, plays, liked, rating, bookmarked, disliked in db.session.execute(
        sa.select(
            UserSong.song_id,
            *INTERACTION_COLUMNS,
        ).where(UserSong.user_id == user.id)
    ):
        library.append(song_id)
        weight = interaction_weight(plays, liked, rating, bookmarked, disliked)
        if weight:
            ctx.history[song_id] = weight
            if weight > 0:
                ctx.verbs[song_id] = _verb(plays, liked, rating, bookmarked)
    ctx.library = frozenset(library)
    return ctx


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be a whole number from 1 to {MAX_K}")


def _items(recommendations: Sequence[Recommendation]) -> list[dict[str, Any]]:
    songs = {
        s.id: s
        for s in db.session.scalars(sa.select(Song).where(Song.id.in_([r.song_id for r in recommendations])))
    }
    return [
        {
            "song": song_json(songs[r.song_id]),
            "score": round(float(r.score), 6),
            "approach": r.approach,
            "reason": r.reason,
            "sources": list(r.sources),
        }
        for r in recommendations
        if r.song_id in songs
    ]


def recommend_for(
    user: User, approach: str = FOR_YOU, k: int = 10, filters: Filters = Filters()
) -> dict[str, Any]:
    """Ranked, explained recommendations, from the per-user cache while fresh, else computed.

    The popular list with degraded=True if vectors are down; that one is never cached. The key
    carries user.rec_version, which the user's own changes bump, so those show on the next request.
    """
    if approach not in APPROACHES:
        raise ValueError(f"unknown approach {approach!r}: expected one of {', '.join(APPROACHES)}")
    _check_k(k)
    key = cache.cache_key(user.id, user.rec_version, approach, k, filters)
    result = cache.get(key)
    if result is None:
        result = _compute(user, approach, k, filters)
        cache.put(key, result)
    return result


def _compute(user: User, approach: str, k: int, filters: Filters) -> dict[str, Any]:
    """The list computed from scratch by the engines (recommend_for checked the arguments)."""
    ctx = user_context(user)
    catalog = SqlCatalog(item_model.current_model, peer_positives.cache(), fans.ranking())
    degraded = False
    if approach == POPULAR:
        items = popular_recommendations(ctx, catalog, k, filters)
    else:
        try:
            # Searches by the preference vector are kept across the user's own changes (stable_searches.py).
            store = stable_searches.wrap(ensure_collections(), ctx.preference)
            items = ENGINES[approach](ctx, store, catalog, k=k, filters=filters)
        except VectorStoreError as exc:
            log.warning("vector store unavailable, serving popular songs: %s", exc)
            items, degraded = popular_recommendations(ctx, catalog, k, filters), True
    if not items and approach == FOR_YOU:  # cold start: nothing known about the user yet
        items = popular_recommendations(ctx, catalog, k, filters)
    return {"user_id": user.id, "approach": approach, "k": k, "degraded": degraded, "items": _items(items)}


def similar_songs(song: Song, k: int = 10, user: User | None = None) -> dict[str, Any]:
    """Songs like this one (song radio), without the listener's dislikes; popular ones if vectors are down."""
    _check_k(k)
    disliked: set[int] = set()
    # user may also be flask-login's anonymous user (untyped): is_authenticated False, no id
    if user is not None and getattr(user, "is_authenticated", False):
        disliked = set(
            db.session.scalars(
                sa.select(UserSong.song_id).where(UserSong.user_id == user.id, UserSong.disliked.is_(True))
            )
        )
    catalog = SqlCatalog(fans=fans.ranking())
    try:
        items, degraded = similar_engine(song.id, ensure_collections(), catalog, k, exclude=disliked), False
    except VectorStoreError as exc:
        log.warning("vector store unavailable, serving popular songs: %s", exc)
        ctx = UserContext(0, library=frozenset(disliked | {song.id}))
        items, degraded = popular_recommendations(ctx, catalog, k), True
    return {"song_id": song.id, "degraded": degraded, "items": _items(items)}
