"""For you: the three approaches fused by reciprocal rank, then diversified by artist."""

from collections import defaultdict

from .collaborative import collaborative_recommendations
from .content import content_recommendations
from .items import NO_FILTERS, Recommendation
from .knowledge import knowledge_recommendations

APPROACH = "for_you"
RRF_K = 60  # the usual constant: ranks matter, but the first few of any list don't dominate
PER_ARTIST = 2
DIVERSE_TOP = 10
ENGINES = {
    "content": content_recommendations,
    "collaborative": collaborative_recommendations,
    "knowledge": knowledge_recommendations,
}


def reciprocal_rank_fusion(lists, rrf_k=RRF_K):
    """Fuse {approach: [Recommendation]} into one list; each item keeps every source and reason."""
    scores, reasons, sources = defaultdict(float), defaultdict(list), defaultdict(list)
    for approach, items in lists.items():
        for rank, item in enumerate(items, start=1):
            scores[item.song_id] += 1.0 / (rrf_k + rank)
            sources[item.song_id].append(approach)
            if item.reason not in reasons[item.song_id]:
                reasons[item.song_id].append(item.reason)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        Recommendation(song_id, score, APPROACH, " · ".join(reasons[song_id]), tuple(sources[song_id]))
        for song_id, score in ranked
    ]


def diversify(items, artist_of, per_artist=PER_ARTIST, top=DIVERSE_TOP):
    """Keep at most `per_artist` songs of one artist in the first `top`; the rest move down."""
    head, held, counts = [], [], defaultdict(int)
    for item in items:
        artist = artist_of(item.song_id)
        if len(head) < top and counts[artist] >= per_artist:
            held.append(item)
            continue
        head.append(item)
        counts[artist] += 1
    return head[:top] + held + head[top:]


def for_you_recommendations(ctx, store, catalog, k=10, filters=NO_FILTERS):
    """The fused, artist-diversified list of content, collaborative and knowledge picks."""
    lists = {name: engine(ctx, store, catalog, k=k * 3, filters=filters) for name, engine in ENGINES.items()}
    fused = reciprocal_rank_fusion({name: items for name, items in lists.items() if items})
    songs = catalog.songs([item.song_id for item in fused])
    diverse = diversify(fused, lambda song_id: songs[song_id].artist if song_id in songs else song_id)
    return diverse[:k]
