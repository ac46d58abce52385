"""Collaborative filtering: the users who like what this user likes, then what they liked."""

from collections import defaultdict

from ..vectors.base import VectorStore
from .items import NO_FILTERS, USERS, CatalogData, Filters, Recommendation, UserContext

APPROACH = "collaborative"
NEIGHBOURS = 30
# Users found only by a similar taste vector (no songs in common) count this much of a shared-songs
# neighbour: taste is a weaker sign than behaviour, but it keeps new users from having none.
TASTE_WEIGHT = 0.3


def similar_users(
    ctx: UserContext, store: VectorStore, neighbours: int = NEIGHBOURS
) -> list[tuple[int, float]]:
    """[(user id, similarity)] of the nearest users by shared positive songs and by taste, best first."""
    similarity: defaultdict[int, float] = defaultdict(float)
    sparse = ctx.sparse
    if sparse:
        for hit in store.search_sparse(USERS, sparse, k=neighbours, exclude_ids=[ctx.user_id], payload=False):
            similarity[hit.id] += hit.score  # cosine: both sparse vectors are unit length
    if ctx.taste is not None:
        for hit in store.search(
            USERS, ctx.taste.tolist(), k=neighbours, exclude_ids=[ctx.user_id], payload=False
        ):
            similarity[hit.id] += TASTE_WEIGHT * max(hit.score, 0.0)
    ranked = sorted(similarity.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(user, score) for user, score in ranked[:neighbours] if score > 0]


def collaborative_recommendations(
    ctx: UserContext,
    store: VectorStore,
    catalog: CatalogData,
    k: int = 10,
    filters: Filters = NO_FILTERS,
    neighbours: int = NEIGHBOURS,
) -> list[Recommendation]:
    """Songs the nearest users liked, scored by their similarity times how much they liked each."""
    peers = similar_users(ctx, store, neighbours)
    if not peers:
        return []
    liked_by = catalog.positives([user for user, _ in peers])
    scores: defaultdict[int, float] = defaultdict(float)
    supporters: defaultdict[int, int] = defaultdict(int)
    for user, similarity in peers:
        for song_id, weight in liked_by.get(user, {}).items():
            if song_id not in ctx.library:
                scores[song_id] += similarity * weight
                supporters[song_id] += 1
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    songs = catalog.songs([song_id for song_id, _ in ranked]) if filters != NO_FILTERS else None
    items: list[Recommendation] = []
    for song_id, score in ranked:
        if songs is not None and (song_id not in songs or not filters.accepts(songs[song_id])):
            continue
        count = supporters[song_id]
        reason = f"Liked by {count} listener{'s' if count != 1 else ''} with similar taste"
        items.append(Recommendation(song_id, score, APPROACH, reason, (APPROACH,)))
        if len(items) == k:
            break
    return items
