"""The engines' CatalogData over an evaluation's training split, and the random baseline."""

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from ..recommend.item_model import ItemModel, fit_item_model
from ..recommend.items import (
    NO_FILTERS,
    Filters,
    PopularItem,
    Recommendation,
    SongInfo,
    UserContext,
    Vector,
    unit_rows,
)

RANDOM = "random"


class SplitCatalog:
    """CatalogData answered from training interactions only, so nothing held out leaks into
    neighbours' songs or into popularity."""

    def __init__(
        self,
        infos: dict[int, SongInfo],
        histories: Mapping[int, Mapping[int, float]],
        vectors: tuple[Sequence[int], Vector] | None = None,
    ) -> None:
        """infos: {item id: SongInfo}; histories: {user id: {item id: training weight}};
        vectors: (item ids, matrix), the rows the evaluation's store holds."""
        self.infos = infos
        ids, matrix = vectors if vectors is not None else ((), np.zeros((0, 0), dtype=np.float32))
        self._rows = {item: row for row, item in enumerate(ids)}
        self._matrix = unit_rows(matrix) if len(self._rows) else np.zeros((0, 0), dtype=np.float32)
        self._positives: dict[int, dict[int, float]] = {}
        fans = dict.fromkeys(infos, 0)
        for user_id, history in histories.items():
            liked = {item: w for item, w in history.items() if w > 0}
            if liked:
                top = max(liked.values())
                self._positives[user_id] = {item: w / top for item, w in liked.items()}
            for item in liked:
                if item in fans:
                    fans[item] += 1
        self.fans = fans
        # Ranked once: most training fans, then the item's own popularity, then id (deterministic).
        self._ranked = sorted(infos, key=lambda i: (-fans[i], -infos[i].popularity, i))
        self._item_model: ItemModel | None = None
        self._fitted = False

    def item_model(self) -> ItemModel | None:
        """The item-to-item model of the training positives, fitted on first use."""
        if not self._fitted:
            self._item_model, self._fitted = fit_item_model(self._positives), True
        return self._item_model

    def songs(self, ids: Iterable[int]) -> dict[int, SongInfo]:
        """{id: SongInfo} for the ids that exist."""
        return {i: self.infos[i] for i in ids if i in self.infos}

    def vectors(self, ids: Iterable[int]) -> dict[int, Vector]:
        """{item id: float32 vector} of the items that have one."""
        return {i: self._matrix[self._rows[i]] for i in ids if i in self._rows}

    def positives(self, user_ids: Iterable[int]) -> dict[int, dict[int, float]]:
        """{user id: {item id: weight scaled so the user's strongest is 1}}, training only."""
        return {u: dict(self._positives[u]) for u in user_ids if u in self._positives}

    def popular(self, k: int, filters: Filters, exclude: Collection[int]) -> list[PopularItem]:
        """The k items with the most training fans passing filters, none in exclude."""
        result: list[PopularItem] = []
        for item in self._ranked:
            if len(result) == k:
                break
            info = self.infos[item]
            if item in exclude or (filters != NO_FILTERS and not filters.accepts(info)):
                continue
            count = self.fans[item]
            reason = f"Popular here: liked by {count} listener{'s' if count != 1 else ''}"
            result.append((item, float(count) + info.popularity / 100, reason))
        return result


def random_recommendations(
    ctx: UserContext, item_ids: Sequence[int], k: int, seed: int
) -> list[Recommendation]:
    """k items drawn uniformly from those outside the user's library, reproducible per (seed, user)."""
    rng = np.random.default_rng([int(seed), int(ctx.user_id)])
    wanted = min(len(item_ids), k + len(ctx.library))  # enough that k survive the exclusion
    picks = [item_ids[i] for i in rng.choice(len(item_ids), size=wanted, replace=False)]
    chosen = [item for item in picks if item not in ctx.library][:k]
    return [Recommendation(item, 0.0, RANDOM, "Picked at random", (RANDOM,)) for item in chosen]
