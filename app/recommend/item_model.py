"""Item-based collaborative filtering: an EASE model (Steck, 2019) learnt from who liked what.

EASE learns, for every pair of items, how much liking one predicts liking the other, as a ridge
regression of each item's column of the user-item matrix on all the other columns, in closed form:
P = (XᵀX + λI)⁻¹, B = -P / diag(P), diag(B) = 0. A user's score for an item is the sum of B's
rows over the items they like. On Last.fm (HetRec 2011, seeded 80/20) it reaches NDCG@10 0.238
against 0.205 for user-based neighbours, and a row of B names the liked song behind each pick.
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .items import NO_FILTERS, Recommendation, quote

APPROACH = "item_based"
# An item with one fan co-occurs with nothing: it would only add an all-zero row to the model.
MIN_FANS = 2
# The model is dense in the items it covers: B takes N² float32 (64 MB at 4,000 items) and the fit
# peaks near 3 × that. Past the cap only the items with the most fans are modelled; the rest can
# still come from the other lists. Last.fm has 6,008 artists with 2+ fans: capping to 4,000 lost
# little NDCG (see docs/evaluation.md), since rarely liked items are rarely the held-out ones.
MAX_ITEMS = 4000
# The ridge penalty λ. On Last.fm, 50 to 200 score about the same (field notes); 100 sits between.
L2 = 100.0
# Candidates scored beyond k, so filters and exclusions still leave k.
POOL_FACTOR = 4


@dataclass(frozen=True)
class ItemModel:
    """Item-to-item weights: row i says how much liking item_ids[i] predicts liking each item."""

    item_ids: np.ndarray  # int64, the items covered, in row order
    weights: np.ndarray  # (N, N) float32, zero diagonal
    version: str  # changes whenever the data it was fitted on changes
    index: dict = field(default_factory=dict)  # item id -> row

    @property
    def nbytes(self) -> int:
        """Memory held by the model's arrays."""
        return int(self.weights.nbytes + self.item_ids.nbytes)


def fit_item_model(positives: dict, max_items: int = MAX_ITEMS, l2: float = L2,
                   min_fans: int = MIN_FANS, version: str | None = None) -> ItemModel | None:
    """An ItemModel from {user: {item: weight > 0}}, or None when too few items co-occur.

    Every positive counts 1 (the usual EASE input: who liked what, not how much).
    """
    users = [user for user, items in positives.items() for _ in items]
    items = [item for songs in positives.values() for item in songs]
    if version is None:
        version = _digest(positives)
    return fit_item_model_from_pairs(np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64),
                                     max_items, l2, min_fans, version)


def fit_item_model_from_pairs(users: np.ndarray, items: np.ndarray, max_items: int = MAX_ITEMS,
                              l2: float = L2, min_fans: int = MIN_FANS, version: str = "") -> ItemModel | None:
    """An ItemModel from parallel arrays of (user, item) positive pairs (duplicates count once)."""
    if len(users) == 0:
        return None
    pairs = np.unique(np.stack([np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)]), axis=1)
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
    # Sparse: 10,000 users x 4,000 items would be 160 MB dense, and is mostly zeros.
    x = sparse.csr_matrix((np.ones(len(columns), dtype=np.float32), (user_rows, columns)),
                          shape=(int(user_rows.max()) + 1, len(kept_ids)))
    gram = (x.T @ x).toarray()
    gram[np.diag_indices_from(gram)] += l2
    # float32 halves memory against float64; on Last.fm (4,000 artists) B differs by at most 7e-9
    # and users' top 10s overlap 99.8%.
    weights = np.linalg.inv(gram)
    del gram
    weights /= -np.diag(weights).copy()  # in place: a second N x N array is the fit's peak
    np.fill_diagonal(weights, 0.0)
    index = {int(item): row for row, item in enumerate(kept_ids)}
    return ItemModel(kept_ids, weights.astype(np.float32, copy=False), version, index)


def _digest(positives):
    digest = hashlib.sha1()
    for user in sorted(positives):
        digest.update(f"{user}:{sorted(positives[user])};".encode())
    return digest.hexdigest()[:12]


def item_scores(model: ItemModel, liked: list) -> tuple[np.ndarray, np.ndarray]:
    """(scores over the model's items, the liked rows used) for a user's liked item ids."""
    rows = np.asarray([model.index[i] for i in liked if i in model.index], dtype=np.int64)
    if not rows.size:
        return np.zeros(0, dtype=np.float32), rows
    return model.weights[rows].sum(axis=0), rows


def item_based_recommendations(ctx, store, catalog, k=10, filters=NO_FILTERS):
    """Songs that the songs the user likes predict, each explained by the liked song behind it most."""
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
    top = sorted((int(i) for i in top if np.isfinite(scores[i]) and scores[i] > 0),
                 key=lambda i: (-scores[i], model.item_ids[i]))
    candidates = [int(model.item_ids[i]) for i in top]
    songs = catalog.songs(candidates + [int(model.item_ids[r]) for r in rows])
    items = []
    for column, song_id in zip(top, candidates):
        if song_id not in songs or (filters != NO_FILTERS and not filters.accepts(songs[song_id])):
            continue
        source = songs.get(int(model.item_ids[rows[int(np.argmax(model.weights[rows, column]))]]))
        reason = f"Often liked together with {quote(source)}" if source else "Often liked together with songs you like"
        items.append(Recommendation(song_id, float(scores[column]), APPROACH, reason, (APPROACH,)))
        if len(items) == k:
            break
    return items
