"""The engine registry: every list the app can serve, named once.

Components are the lists For you fuses; each is a pure function (ctx, store, catalog, k, filters)
-> [Recommendation]. The web, the API, the fusion and the evaluation all read this table; each key
is the engine module's own APPROACH, the name its Recommendations carry. PLANS holds the same
engines as plans (app/recommend/plan.py), which For you runs together to batch their searches.
"""

from typing import Protocol

from ..vectors.base import VectorStore
from . import collaborative, content, item_model, knowledge, popular
from .items import CatalogData, Filters, Recommendation, UserContext
from .plan import Plan


class Engine(Protocol):
    """A component engine: its user's k best songs passing filters, best first."""

    def __call__(
        self, ctx: UserContext, store: VectorStore, catalog: CatalogData, k: int = ..., filters: Filters = ...
    ) -> list[Recommendation]: ...


class EnginePlan(Protocol):
    """A component engine as a plan: the same list, its searches and songs asked for as steps."""

    def __call__(
        self, ctx: UserContext, catalog: CatalogData, k: int = ..., filters: Filters = ...
    ) -> Plan[list[Recommendation]]: ...


COMPONENTS: dict[str, Engine] = {
    content.APPROACH: content.content_recommendations,
    collaborative.APPROACH: collaborative.collaborative_recommendations,
    knowledge.APPROACH: knowledge.knowledge_recommendations,
    item_model.APPROACH: item_model.item_based_recommendations,
}
PLANS: dict[str, EnginePlan] = {
    content.APPROACH: content.content_plan,
    collaborative.APPROACH: collaborative.collaborative_plan,
    knowledge.APPROACH: knowledge.knowledge_plan,
    item_model.APPROACH: item_model.item_based_plan,
}
FOR_YOU = "for_you"
POPULAR = popular.APPROACH
# Every list a user can ask for, in the order tabs and the API list them.
APPROACHES = (FOR_YOU, *COMPONENTS, POPULAR)
# The lists that read the item model: only their cached copies go stale when it is refitted.
USES_ITEM_MODEL = (item_model.APPROACH, FOR_YOU)
