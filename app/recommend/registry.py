"""The engine registry: every list the app can serve, named once.

Components are the lists For you fuses; each is a pure function (ctx, store, catalog, k, filters)
-> [Recommendation]. The web, the API, the fusion and the evaluation all read this table; each key
is the engine module's own APPROACH, the name its Recommendations carry.
"""

from . import collaborative, content, item_model, knowledge, popular

COMPONENTS = {
    content.APPROACH: content.content_recommendations,
    collaborative.APPROACH: collaborative.collaborative_recommendations,
    knowledge.APPROACH: knowledge.knowledge_recommendations,
    item_model.APPROACH: item_model.item_based_recommendations,
}
FOR_YOU = "for_you"
POPULAR = popular.APPROACH
# Every list a user can ask for, in the order tabs and the API list them.
APPROACHES = (FOR_YOU, *COMPONENTS, POPULAR)
# The lists that read the item model: only their cached copies go stale when it is refitted.
USES_ITEM_MODEL = (item_model.APPROACH, FOR_YOU)
