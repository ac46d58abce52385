"""Content-based: the songs nearest to the user's taste vector, explained by the closest liked song."""

import numpy as np

from .items import NO_FILTERS, SONGS, Recommendation, quote

APPROACH = "content"
EXPLAIN_FROM = 200  # the strongest history songs that reasons may name
# A dislike says "not this, nor its remasters or live takes": candidates this close to a disliked
# song are dropped, and ones somewhat close are pushed down.
NEAR_DUPLICATE = 0.9
DISLIKE_FROM, DISLIKE_PENALTY = 0.6, 0.5


def content_recommendations(ctx, store, catalog, k=10, filters=NO_FILTERS):
    """Songs nearest to the user's taste, none from their library nor close to their dislikes."""
    if ctx.taste is None:
        return []
    disliked = [s for s, w in ctx.history.items() if w < 0]
    hits = store.search(SONGS, ctx.taste.tolist(), k=k * 2 if disliked else k,
                        must=filters.must() or None, exclude_ids=ctx.library)
    if not hits:
        return []
    history = ctx.positives[:EXPLAIN_FROM]
    vectors = store.retrieve(SONGS, [h.id for h in hits] + history + disliked)
    scored = []
    for hit in hits:
        penalty = _dislike_penalty(vectors.get(hit.id), [vectors[s] for s in disliked if s in vectors])
        if penalty is not None:
            scored.append((hit.score - penalty, hit.id))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    closest = _closest(vectors, [song_id for _, song_id in scored[:k]], [s for s in history if s in vectors])
    songs = catalog.songs(set(closest.values()))
    items = []
    for score, song_id in scored[:k]:
        source = songs.get(closest.get(song_id))
        if source is not None:
            reason = f"Because you {ctx.verbs.get(source.id, 'liked')} {quote(source)}"
        else:
            reason = "Close to the moods and activities you said you like"
        items.append(Recommendation(song_id, score, APPROACH, reason, (APPROACH,)))
    return items


def _dislike_penalty(vector, disliked_vectors):
    """0 when far from every dislike, a penalty when near one, None for a near-duplicate."""
    if vector is None or not disliked_vectors:
        return 0.0
    nearest = float(np.max(np.asarray(disliked_vectors, dtype=np.float32) @ np.asarray(vector, dtype=np.float32)))
    if nearest >= NEAR_DUPLICATE:
        return None
    return DISLIKE_PENALTY * max(0.0, nearest - DISLIKE_FROM)


def _closest(vectors, song_ids, history):
    """{recommended song id: the history song most similar to it}."""
    if not history:
        return {}
    past = np.asarray([vectors[s] for s in history], dtype=np.float32)
    return {
        song_id: history[int(np.argmax(past @ np.asarray(vectors[song_id], dtype=np.float32)))]
        for song_id in song_ids if song_id in vectors
    }
