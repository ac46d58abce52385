"""Item-based collaborative filtering: an EASE model (Steck, 2019) learnt from who liked what.

EASE learns, for every pair of items, how much liking one predicts liking the other, as a ridge
regression of each item's column of the user-item matrix on all the other columns, in closed form:
P = (XᵀX + λI)⁻¹, B = -P / diag(P), diag(B) = 0. A user's score for an item is the sum of B's
rows over the items they like. On Last.fm (HetRec 2011, seeded 80/20) it reaches NDCG@10 0.2325
against 0.2139 for the app's user-based collaborative list (docs/evaluation.md), and a row of B
names the liked song behind each pick.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray
from scipy import linalg, sparse  # type: ignore[import-untyped]  # no py.typed; scipy-stubs is separate

from ..vectors.base import VectorStore
from .items import NO_FILTERS, CatalogData, Filters, Recommendation, UserContext, quote
from .plan import Plan, Songs, run_plan

APPROACH = "item_based"
# An item with one fan co-occurs with nothing: it would only add an all-zero row to the model.
MIN_FANS = 2
# The model is dense in the items it covers: B takes N² float32 (64 MB at 4,000 items); a fit at
# 10,000 users x 100,000 songs (1M likes) peaks 314 MB above the process and takes 3.8 s on 2 cores
# (bench/item_model.py). Past the cap only the items with the most fans are modelled; the rest can
# still come from the other lists. Last.fm's training side has 5,942 artists with 2+ fans: capping
# to 4,000 cost 0.001 NDCG (0.2335 -> 0.2325), since rarely liked items are rarely the held-out ones.
MAX_ITEMS = 4000
# The ridge penalty λ. On Last.fm, 50 to 200 score about the same (field notes); 100 sits between.
L2 = 100.0
GRAM_BLOCK = 2048  # users per block of XᵀX: a 2,048 x 4,000 dense block is 33 MB
# Candidates scored beyond k, so filters and exclusions still leave k.
POOL_FACTOR = 4


@dataclass(frozen=True)
class ItemModel:
    """Item-to-item weights: row i says how much liking item_ids[i] predicts liking each item."""

    item_ids: NDArray[np.int64]  # int64, the items covered, in row order
    weights: NDArray[np.float32]  # (N, N) float32, zero diagonal
    version: str  # changes whenever the data it was fitted on changes
    index: dict[int, int] = field(default_factory=dict)  # item id -> row

    @property
    def nbytes(self) -> int:
        """Memory held by the model's arrays."""
        return int(self.weights.nbytes + self.item_ids.nbytes)


def fit_item_model(
    positives: Mapping[int, Iterable[int]],
    max_items: int = MAX_ITEMS,
    l2: float = L2,
    min_fans: int = MIN_FANS,
    version: str | None = None,
) -> ItemModel | None:
    """An ItemModel from {user: {item: weight > 0}}, or None when too few items co-occur.

    Every positive counts 1 (the usual EASE input: who liked what, not how much).
    """
    users = [user for user, items in positives.items() for _ in items]
    items = [item for songs in positives.values() for item in songs]
    if version is None:
        version = _digest(positives)
    return fit_item_model_from_pairs(
        np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64), max_items, l2, min_fans, version
    )


def fit_item_model_from_pairs(
    users: NDArray[np.int64],
    items: NDArray[np.int64],
    max_items: int = MAX_ITEMS,
    l2: float = L2,
    min_fans: int = MIN_FANS,
    version: str = "",
    dtype: DTypeLike = np.float32,
) -> ItemModel | None:
    """An ItemModel from parallel arrays of (user, item) positive pairs (duplicates count once).

    dtype is the precision of the fit (bench/item_model.py compares float64); B is kept as float32.
    """
    if len(users) == 0:
        return None
    pairs = np.unique(
        np.stack([np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)]), axis=1
    )
    kept_ids, fans = np.unique(pairs[1], return_counts=True)
    eligible = fans >= min_fans
    kept_ids, fans = kept_ids[eligible], fans[eligible]
    if len(kept_ids) > max_items:
        # The most liked items, ties by id (lexsort's last key sorts first).
        kept_ids = kept_ids[np.lexsort((kept_ids, -fans))[:max_items]]
    if len(kept_ids) < 2:
        return None
    kept_ids = np.sort(kept_ids)
    in_model = np.isin(pairs[1], kept_ids)
    _, user_rows = np.unique(pairs[0][in_model], return_inverse=True)
    columns = np.searchsorted(kept_ids, pairs[1][in_model])
    x = sparse.csr_matrix(
        (np.ones(len(columns), dtype=dtype), (user_rows, columns)),
        shape=(int(user_rows.max()) + 1, len(kept_ids)),
    )
    weights = _gram(x)
    weights[np.diag_indices_from(weights)] += l2
    # In place (no second N x N array), float32 (half of float64's memory, 0.64x its time): B differs
    # from a float64 fit by at most 1.3e-7 and users' top 10s overlap 99.8-100% (bench/item_model.py).
    weights = linalg.inv(weights, overwrite_a=True, check_finite=False)
    weights /= -np.diag(weights).copy()
    np.fill_diagonal(weights, 0.0)
    index = {int(item): row for row, item in enumerate(kept_ids)}
    return ItemModel(kept_ids, weights.astype(np.float32, copy=False), version, index)


def _gram(x: Any, block: int = GRAM_BLOCK) -> NDArray[Any]:  # x: a scipy CSR matrix (untyped)
    """XᵀX as a dense array (of X's dtype), summed over blocks of users.

    A sparse XᵀX of popular items is nearly dense: with its indices the whole fit peaked at 591 MB
    for 10,000 users x 4,000 items, against 314 MB with blocks of users summed into a dense array.
    """
    gram = np.zeros((x.shape[1], x.shape[1]), dtype=x.dtype)
    for start in range(0, x.shape[0], block):
        rows = x[start : start + block]
        gram += rows.T @ rows.toarray()
    return gram


def _digest(positives: Mapping[int, Iterable[int]]) -> str:
    digest = hashlib.sha1()
    for user in sorted(positives):
        digest.update(f"{user}:{sorted(positives[user])};".encode())
    return digest.hexdigest()[:12]


def item_scores(model: ItemModel, liked: Iterable[int]) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """(scores over the model's items, the liked rows used) for a user's liked item ids."""
    rows = np.asarray([model.index[i] for i in liked if i in model.index], dtype=np.int64)
    if not rows.size:
        return np.zeros(0, dtype=np.float32), rows
    return model.weights[rows].sum(axis=0), rows


def item_based_recommendations(
    ctx: UserContext, store: VectorStore, catalog: CatalogData, k: int = 10, filters: Filters = NO_FILTERS
) -> list[Recommendation]:
    """Songs that the songs the user likes predict, each explained by the liked song behind it most."""
    return run_plan(item_based_plan(ctx, catalog, k, filters), store, catalog)


def item_based_plan(
    ctx: UserContext, catalog: CatalogData, k: int = 10, filters: Filters = NO_FILTERS
) -> Plan[list[Recommendation]]:
    """item_based_recommendations as a plan (app/recommend/plan.py): no search, one read of songs."""
    model = catalog.item_model()
    if model is None:
        return []
    liked = ctx.positives
    scores, rows = item_scores(model, liked)
    if not rows.size:
        return []
    excluded = [model.index[i] for i in ctx.library if i in model.index]
    scores = scores.copy()
    scores[excluded] = -np.inf
    pool = min(len(scores), k * POOL_FACTOR)
    top = np.argpartition(-scores, pool - 1)[:pool] if pool < len(scores) else np.arange(len(scores))
    # Best first, ties by song id, so lists are stable from one request to the next.
    top = sorted(
        (int(i) for i in top if np.isfinite(scores[i]) and scores[i] > 0),
        key=lambda i: (-scores[i], model.item_ids[i]),
    )
    if filters == NO_FILTERS:
        top = top[:k]  # nothing to filter: only the picks and their reasons' songs are read
    # The liked song behind each candidate: the one whose row gives it the largest weight. Found for
    # every candidate before filtering, so one read of songs serves both the filter and the reasons.
    columns = np.asarray(top, dtype=np.int64)
    behind = rows[np.argmax(model.weights[np.ix_(rows, columns)], axis=0)] if top else rows[:0]
    sources = {column: int(model.item_ids[row]) for column, row in zip(top, behind.tolist())}
    songs = yield Songs(frozenset(int(model.item_ids[i]) for i in top) | frozenset(sources.values()))
    if filters != NO_FILTERS:
        top = [i for i in top if (info := songs.get(int(model.item_ids[i]))) and filters.accepts(info)][:k]
    items: list[Recommendation] = []
    for column in top:
        song_id = int(model.item_ids[column])
        if song_id not in songs:  # deleted since the model was fitted
            continue
        source = songs.get(sources[column])
        reason = (
            f"Often liked together with {quote(source)}"
            if source
            else "Often liked together with songs you like"
        )
        items.append(Recommendation(song_id, float(scores[column]), APPROACH, reason, (APPROACH,)))
    return items
