"""The engine registry: every list the app can serve, named once.

Components are the lists For you fuses; each is a pure function (ctx, store, catalog, k, filters)
-> [Recommendation]. The web, the API, the fusion and the evaluation all read this table.
"""

from .collaborative import collaborative_recommendations
from .content import content_recommendations
from .item_model import item_based_recommendations
from .knowledge import knowledge_recommendations

COMPONENTS = {
    "content": content_recommendations,
    "collaborative": collaborative_recommendations,
    "knowledge": knowledge_recommendations,
    "item_based": item_based_recommendations,
}
FOR_YOU = "for_you"
POPULAR = "popular"
# Every list a user can ask for, in the order tabs and the API list them.
APPROACHES = (FOR_YOU, *COMPONENTS, POPULAR)
# The lists that read the item model: only their cached copies go stale when it is refitted.
USES_ITEM_MODEL = ("item_based", FOR_YOU)
