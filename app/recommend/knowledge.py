"""Knowledge-based: songs whose mood and activity or genre match what the user said they like."""

from collections.abc import Mapping, Sequence
from typing import Any

from ..spotify_csv.vocab import ACTIVITY_FLAGS, FLAG_COLUMNS
from ..vectors.base import Hit, Search, VectorStore
from .items import NO_FILTERS, SONGS, CatalogData, Filters, Recommendation, UserContext
from .plan import Plan, Searches, run_plan

APPROACH = "knowledge"
# Ranking: closeness to the preference text, plus a bonus per matched preference and for
# popularity. A matched tag or mood outweighs the usual spread of cosine scores (~0.1-0.2).
MATCH_BONUS = 0.15
POPULARITY_BONUS = 0.1
MAX_POOL = 200
POOL_PER_TAG = 20
# The payload fields matched_preferences and the ranking read; a pool of 200 with every field
# cost 2-3 ms more at 100,000 songs than with these.
PAYLOAD_FIELDS = ("emotion", "genres", "popularity", *FLAG_COLUMNS)


def tag_condition(tag: str) -> dict[str, Any]:
    """The payload condition for a tag: an activity flag, or else a genre."""
    flag = ACTIVITY_FLAGS.get(tag)
    return {flag[0]: True} if flag else {"genres": tag}


def matched_preferences(
    payload: Mapping[str, Any], emotions: Sequence[str], tags: Sequence[str]
) -> tuple[str | None, list[str]]:
    """(matched emotion or None, [matched tags]) of a song's payload."""
    emotion = payload.get("emotion") if payload.get("emotion") in emotions else None
    genres = payload.get("genres") or ()
    matched = [t for t in tags if (payload.get(ACTIVITY_FLAGS[t][0]) if t in ACTIVITY_FLAGS else t in genres)]
    return emotion, matched


def explain(emotion: str | None, tags: Sequence[str]) -> str:
    """The reason for a knowledge-based pick, naming what matched."""
    parts = []
    if emotion:
        parts.append(f"Matches your mood: {emotion}")
    if tags:
        parts.append(f"{'tags' if len(tags) > 1 else 'tag'}: {', '.join(tags)}")
    return ", ".join(parts) if parts else "Close to what you said you like"


def knowledge_recommendations(
    ctx: UserContext, store: VectorStore, catalog: CatalogData, k: int = 10, filters: Filters = NO_FILTERS
) -> list[Recommendation]:
    """Songs matching the user's stated moods and tags, ranked by closeness and popularity.

    Needs no activity: only the stated emotions and tags and the preference vector.
    """
    return run_plan(knowledge_plan(ctx, catalog, k, filters), store, catalog)


def knowledge_plan(
    ctx: UserContext, catalog: CatalogData, k: int = 10, filters: Filters = NO_FILTERS
) -> Plan[list[Recommendation]]:
    """knowledge_recommendations as a plan (app/recommend/plan.py): one search, a second if it is short."""
    query = ctx.preference if ctx.preference is not None else ctx.taste
    if query is None or not (ctx.emotions or ctx.tags):
        return []
    base = filters.must()
    mood = {} if filters.emotion or not ctx.emotions else {"emotion": list(ctx.emotions)}
    # One search for songs in the user's moods that fit at least one tag; then, if that leaves
    # the list short, the moods alone, so a user whose tags match little still gets songs.
    should = [tag_condition(tag) for tag in ctx.tags] or None
    must = {**base, **mood} or None
    # As many candidates as a search of 20 per tag would give, so songs matching several tags (which
    # the bonus favours) are in the pool: one search of k*2 in all halved NDCG on Last.fm. The pool
    # does not grow with k beyond that (only to 2k), so a longer list starts with the shorter one:
    # For you asks for 3k candidates and must see the same top 10 as the Knowledge tab.
    pool = min(MAX_POOL, max(k * 2, POOL_PER_TAG * max(1, len(ctx.tags))))
    candidates: dict[int, Hit] = {}
    for alternatives in [should, None] if should and mood else [should]:
        search = Search(
            query, k=pool, must=must, exclude_ids=ctx.library, should=alternatives, payload=PAYLOAD_FIELDS
        )
        (hits,) = yield Searches(((SONGS, search),))
        for hit in hits:
            candidates.setdefault(hit.id, hit)
        if len(candidates) >= pool:
            break
    items = []
    for hit in candidates.values():
        emotion, tags = matched_preferences(hit.payload, ctx.emotions, ctx.tags)
        score = (
            hit.score
            + MATCH_BONUS * (len(tags) + bool(emotion))
            + POPULARITY_BONUS * (hit.payload.get("popularity") or 0) / 100
        )
        items.append(Recommendation(hit.id, score, APPROACH, explain(emotion, tags), (APPROACH,)))
    items.sort(key=lambda item: (-item.score, item.song_id))
    return items[:k]
