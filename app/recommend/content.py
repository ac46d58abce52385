"""Content-based: the songs nearest to the user's taste vector, explained by the closest liked song."""

from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np

from ..vectors.base import Search, VectorStore
from .items import NO_FILTERS, SONGS, CatalogData, Filters, Recommendation, UserContext, Vector, quote
from .plan import Plan, Searches, Songs, run_plan

APPROACH = "content"
EXPLAIN_FROM = 200  # the strongest history songs that reasons may name
# A dislike says "not this, nor its remasters or live takes": candidates this close to a disliked
# song are dropped, and ones somewhat close are pushed down.
NEAR_DUPLICATE = 0.9
DISLIKE_FROM, DISLIKE_PENALTY = 0.6, 0.5


def content_recommendations(
    ctx: UserContext, store: VectorStore, catalog: CatalogData, k: int = 10, filters: Filters = NO_FILTERS
) -> list[Recommendation]:
    """Songs nearest to the user's taste, none from their library nor close to their dislikes."""
    return run_plan(content_plan(ctx, catalog, k, filters), store, catalog)


def content_plan(
    ctx: UserContext, catalog: CatalogData, k: int = 10, filters: Filters = NO_FILTERS
) -> Plan[list[Recommendation]]:
    """content_recommendations as a plan (app/recommend/plan.py): one search, then one read of songs."""
    if ctx.taste is None:
        return []
    disliked = [s for s, w in ctx.history.items() if w < 0]
    search = Search(
        ctx.taste,
        k=k * 2 if disliked else k,
        must=filters.must() or None,
        exclude_ids=ctx.library,
        payload=False,
    )
    (hits,) = yield Searches(((SONGS, search),))
    if not hits:
        return []
    history = ctx.positives[:EXPLAIN_FROM]
    vectors = catalog.vectors([h.id for h in hits] + history + disliked)
    penalties = _dislike_penalties(vectors, [h.id for h in hits], [s for s in disliked if s in vectors])
    scored = sorted(
        # cast: the condition drops the near-duplicates (None); every hit has a penalty
        (
            (hit.score - cast(float, penalties[hit.id]), hit.id)
            for hit in hits
            if penalties.get(hit.id, 0.0) is not None
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )[:k]
    closest = _closest(vectors, [song_id for _, song_id in scored], [s for s in history if s in vectors])
    # The picks too, which this list does not need: For you reads them next, so it gets them in the
    # same read as the reasons' songs (10 rows more for the Content tab).
    songs = yield Songs(frozenset(closest.values()) | {song_id for _, song_id in scored})
    items: list[Recommendation] = []
    for score, song_id in scored:
        source = songs.get(closest.get(song_id))
        if source is not None:
            reason = f"Because you {ctx.verbs.get(source.id, 'liked')} {quote(source)}"
        else:
            reason = "Close to the moods and activities you said you like"
        items.append(Recommendation(song_id, score, APPROACH, reason, (APPROACH,)))
    return items


def _dislike_penalties(
    vectors: Mapping[int, Vector], song_ids: list[int], disliked: list[int]
) -> dict[int, float | None]:
    """{song id: 0 when far from every dislike, a penalty when near one, None for a near-duplicate}."""
    if not disliked:
        return dict.fromkeys(song_ids, 0.0)
    known = [s for s in song_ids if s in vectors]
    # One matrix product for all candidates: per-song loops over Python lists cost ~10 ms a request.
    nearest = (_matrix(vectors, known) @ _matrix(vectors, disliked).T).max(axis=1)
    penalties: dict[int, float | None] = dict.fromkeys(song_ids, 0.0)
    for song_id, similarity in zip(known, nearest.tolist()):
        near_duplicate = similarity >= NEAR_DUPLICATE
        penalties[song_id] = None if near_duplicate else DISLIKE_PENALTY * max(0.0, similarity - DISLIKE_FROM)
    return penalties


def _matrix(vectors: Mapping[int, Vector], ids: Sequence[int]) -> Vector:
    if not ids:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([vectors[i] for i in ids]).astype(np.float32, copy=False)


def _closest(vectors: Mapping[int, Vector], song_ids: list[int], history: list[int]) -> dict[int, int]:
    """{recommended song id: the history song most similar to it}."""
    known = [s for s in song_ids if s in vectors]
    if not history or not known:
        return {}
    best = (_matrix(vectors, known) @ _matrix(vectors, history).T).argmax(axis=1)
    return {song_id: history[int(i)] for song_id, i in zip(known, best)}
