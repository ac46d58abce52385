"""Similar songs (song radio): the nearest songs to one song, without the ones a listener disliked."""

from collections.abc import Iterable

from ..vectors.base import VectorStore
from .items import NO_FILTERS, SONGS, CatalogData, Filters, Recommendation, quote

APPROACH = "similar"


def similar_songs(
    song_id: int,
    store: VectorStore,
    catalog: CatalogData,
    k: int = 10,
    exclude: Iterable[int] = (),
    filters: Filters = NO_FILTERS,
) -> list[Recommendation]:
    """Songs nearest to `song_id`, excluding it and `exclude` (e.g. the listener's dislikes)."""
    vectors = store.retrieve(SONGS, [song_id])
    seed = catalog.songs([song_id]).get(song_id)
    if song_id not in vectors or seed is None:
        return []
    hits = store.search(
        SONGS,
        vectors[song_id],
        k=k,
        must=filters.must() or None,
        exclude_ids=set(exclude) | {song_id},
        payload=("genres", "emotion"),
    )
    items: list[Recommendation] = []
    for hit in hits:
        shared: list[str] = []
        if seed.genre and seed.genre in (hit.payload.get("genres") or ()):
            shared.append(f"genre ({seed.genre})")
        if seed.emotion and hit.payload.get("emotion") == seed.emotion:
            shared.append(f"mood ({seed.emotion})")
        if shared:
            reason = f"Same {' and '.join(shared)} as {quote(seed)}"
        else:
            reason = f"Sounds close to {quote(seed)}"
        items.append(Recommendation(hit.id, hit.score, APPROACH, reason, (APPROACH,)))
    return items
