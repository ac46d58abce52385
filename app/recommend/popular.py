"""Popular songs: the baseline, and the fallback for new users and for a vector store that is down."""

from .items import NO_FILTERS, CatalogData, Filters, Recommendation, UserContext

APPROACH = "popular"


def popular_recommendations(
    ctx: UserContext | None, catalog: CatalogData, k: int = 10, filters: Filters = NO_FILTERS
) -> list[Recommendation]:
    """The most popular songs the user has not met yet."""
    exclude = ctx.library if ctx is not None else frozenset()
    return [
        Recommendation(song_id, score, APPROACH, reason, (APPROACH,))
        for song_id, score, reason in catalog.popular(k, filters, exclude)
    ]
