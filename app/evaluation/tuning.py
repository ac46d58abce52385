"""Fitting For you's fusion on validation cases: the lists each engine gave and the songs to find.

The cases come from a validation split carved out of the training data (app/evaluation/validation.py
builds them), so the held-out test set is never seen here. A fit is a coordinate ascent on NDCG@k
over a small grid per parameter: every list's weight and the popularity prior, for each way of
turning lists into features (by rank with a few constants, or by score).

Two forms are fitted and compared on all cases. Global: one set of weights for everyone. Adaptive:
one set fitted on the validation users with a history, one on the newcomers (at most
NEWCOMER_POSITIVES positives), blended per user by evidence (fusion.FusionParams.user_weights).
The adaptive form is kept only when it scores clearly higher (ADAPTIVE_MARGIN).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..recommend.fusion import DIVERSE_TOP, FusionParams, diversify, evidence, fuse, list_features
from ..recommend.items import Recommendation
from ..recommend.registry import COMPONENTS
from .metrics import ndcg, paired_difference

WEIGHT_GRID = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
POPULARITY_GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)
EVIDENCE_GRID = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)  # positives at which both sets count half
NEWCOMER_POSITIVES = 3  # validation users with at most this many positives fit the cold weights
RANK_K_GRID = (0.0, 10.0, 60.0)  # 0 is 1/rank: the head dominates; 60 is the usual RRF
# The artist cap in For you's top 10 is a product choice (variety), but it costs accuracy where a
# listener's songs cluster on few artists: the fit may loosen it, never drop it.
PER_ARTIST_GRID = (2, 3, 4)
CAP_MARGIN = 0.02  # a looser cap must serve 2% better: variety is not traded for noise
PASSES = 3
MIN_GAIN = 1e-6  # a change must improve NDCG by more than float noise to be taken
# Weights that follow evidence double the parameters; they are kept only when they beat one global
# set by more than this (on Last.fm's 2,339 validation cases the standard error of NDCG@10 is ~0.005).
ADAPTIVE_MARGIN = 0.002


@dataclass(frozen=True)
class Case:
    """One validation user: the candidate lists, what they should find, and their evidence."""

    positives: int  # positive training songs the lists were computed from
    lists: dict[str, list[Recommendation]]  # {component name: [Recommendation]}
    relevant: frozenset[int]  # validation songs
    popularity: dict[int, float]  # {song id: 0..1} for the candidates
    artists: dict[int, str] = field(default_factory=dict)  # {song id: artist} for the candidates
    group: int | None = None  # the user the case replays: one user's cases stay together when split


class _Table:
    """Every case's candidates in one padded array (cases x candidates x lists), so NDCG for given
    weights is a few vectorised numpy calls: 10-20 ms for 2,339 cases of 118 candidates, where one
    sort of all candidates together took 100-150 ms and made the fit take six minutes."""

    def __init__(
        self, cases: Sequence[Case], names: Sequence[str], method: str, rank_k: float, k: int
    ) -> None:
        width = max(
            (len({s for found in case.lists.values() for s in (i.song_id for i in found)}) for case in cases),
            default=0,
        )
        width = max(width, k)
        self.features = np.zeros((len(cases), width, len(names)), dtype=np.float64)
        self.popularity = np.zeros((len(cases), width), dtype=np.float64)
        self.relevant = np.zeros((len(cases), width), dtype=np.float64)
        for row, case in enumerate(cases):
            per_list = [list_features(case.lists.get(name, []), method, rank_k) for name in names]
            # Candidates by song id, so the tie-break below (earlier column first) is fusion's.
            for column, song in enumerate(sorted({song for features in per_list for song in features})):
                self.features[row, column] = [f.get(song, 0.0) for f in per_list]
                self.popularity[row, column] = case.popularity.get(song, 0.0)
                self.relevant[row, column] = song in case.relevant
        self.positives = np.asarray([case.positives for case in cases], dtype=np.float64)
        self.k, self.cases = k, len(cases)
        discounts = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))])
        self.ideal = (
            discounts[np.minimum([len(case.relevant) for case in cases], k)] if cases else np.zeros(0)
        )
        self.tie_break = np.arange(width) * 1e-10
        self.discount = 1.0 / np.log2(np.arange(k) + 2.0)
        # float32 and batched matrix products: no cases x candidates x lists temporary per evaluation.
        self.listed = (self.features > 0).astype(np.float32)
        self.features = self.features.astype(np.float32)

    def per_case(self, weights: ArrayLike, popularity: ArrayLike) -> NDArray[np.float64]:
        """NDCG@k of each case for (cases x lists) weights and per-case popularity weights."""
        weights = np.asarray(weights, dtype=np.float32)
        # As in fusion.fuse: only songs from a list with a positive weight are candidates at all,
        # and the popularity prior only reorders those.
        offered = (self.listed @ (weights > 0).astype(np.float32)[:, :, None])[:, :, 0] > 0
        fused = (self.features @ weights[:, :, None])[:, :, 0].astype(np.float64)
        prior = np.asarray(popularity, dtype=np.float64)[:, None] * self.popularity
        score = np.where(offered, fused + prior - self.tie_break, -np.inf)
        top = np.argpartition(-score, self.k - 1, axis=1)[:, : self.k]
        order = np.argsort(-np.take_along_axis(score, top, axis=1), axis=1, kind="stable")
        ranked = np.take_along_axis(top, order, axis=1)
        hits = np.take_along_axis(self.relevant, ranked, axis=1) * np.isfinite(
            np.take_along_axis(score, ranked, axis=1)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.ideal > 0, (hits @ self.discount) / self.ideal, 0.0)

    def each(self, weights: Sequence[float], popularity: float) -> NDArray[np.float64]:
        """NDCG@k of each case for one set of weights for all."""
        return self.per_case(
            np.tile(np.asarray(weights, dtype=np.float32), (self.cases, 1)), np.full(self.cases, popularity)
        )

    def ndcg(
        self, weights: Sequence[float], popularity: float, mask: NDArray[np.bool_] | None = None
    ) -> float:
        """Mean NDCG@k of one set of weights over the cases (those in mask, when given)."""
        values = self.each(weights, popularity)
        values = values if mask is None else values[mask]
        return float(values.mean()) if len(values) else 0.0

    def blended(self, warm: Sequence[Any], cold: Sequence[Any], half: float) -> float:
        """Mean NDCG@k when each case blends (weights, popularity) pairs by its evidence."""
        g = evidence(self.positives, half)[:, None]
        weights = g * np.asarray(warm[0]) + (1 - g) * np.asarray(cold[0])
        popularity = g[:, 0] * warm[1] + (1 - g[:, 0]) * cold[1]
        return float(self.per_case(weights, popularity).mean()) if self.cases else 0.0


def _ascend(
    table: _Table, names: Sequence[str], mask: NDArray[np.bool_] | None = None, passes: int = PASSES
) -> tuple[float, list[float], float]:
    """(best mean NDCG, weights, popularity) by coordinate ascent from equal weights, over masked cases."""
    weights, popularity = [1.0] * len(names), 0.0
    best = table.ndcg(weights, popularity, mask)
    for _ in range(passes):
        improved = False
        for slot in range(len(names) + 1):
            for value in WEIGHT_GRID if slot < len(names) else POPULARITY_GRID:
                trial_w, trial_p = list(weights), popularity
                if slot < len(names):
                    trial_w[slot] = value
                    if not any(trial_w):
                        continue
                else:
                    trial_p = value
                score = table.ndcg(trial_w, trial_p, mask)
                if score > best + MIN_GAIN:
                    best, weights, popularity, improved = score, trial_w, trial_p, True
        if not improved:
            break
    return best, weights, popularity


def _fit_setting(table: _Table, names: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """{"global": (ndcg, weights, popularity), "adaptive": (ndcg, warm, cold, half)} for one table."""
    found: dict[str, tuple[Any, ...]] = {"global": _ascend(table, names)}
    newcomer = table.positives <= NEWCOMER_POSITIVES
    if newcomer.any() and (~newcomer).any():
        _, *warm = _ascend(table, names, ~newcomer)
        _, *cold = _ascend(table, names, newcomer)
        scored = [(table.blended(warm, cold, half), half) for half in EVIDENCE_GRID]
        score, half = max(scored, key=lambda pair: (pair[0], -pair[1]))
        found["adaptive"] = (score, warm, cold, half)
    return found


def fit_fusion(cases: Sequence[Case], k: int = 10, names: Sequence[str] = tuple(COMPONENTS)) -> FusionParams:
    """The FusionParams that score best on the validation cases, with the comparison in meta."""
    if not cases:
        raise ValueError("no validation cases to fit on: too few users with enough positive songs")
    found: dict[tuple[str, str, float], tuple[Any, ...]] = {}
    tables: dict[tuple[str, float], _Table] = {}
    for method, rank_k in [("rank", rank_k) for rank_k in RANK_K_GRID] + [("score", 0.0)]:
        tables[(method, rank_k)] = table = _Table(cases, names, method, rank_k, k)
        for form, fitted in _fit_setting(table, names).items():
            found[(form, method, rank_k)] = fitted
    # The references (plain RRF, each list alone) are scored on the c = 60 table, built once.
    rrf = tables.get(("rank", 60.0)) or _Table(cases, names, "rank", 60.0, k)
    equal = rrf.ndcg([1.0] * len(names), 0.0)
    # {form: its best (form, method, rank_k) key, or None}; Any, as found[key] is read by position
    best: dict[str, Any] = {
        form: max((key for key in found if key[0] == form), key=lambda key: found[key][0], default=None)
        for form in ("global", "adaptive")
    }
    adaptive = (
        best["adaptive"] is not None
        and found[best["adaptive"]][0] > found[best["global"]][0] + ADAPTIVE_MARGIN
    )
    chosen = best["adaptive"] if adaptive else best["global"]
    _, method, rank_k = chosen

    def scaled(weights: Sequence[float], popularity: float, top: float) -> tuple[dict[str, float], float]:
        # Only ratios matter within a set; the largest weight of the set is scaled to 1. Lists the
        # fit was not given weigh 0.
        fitted = {name: round(w / top, 4) for name, w in zip(names, weights)}
        return {**dict.fromkeys(COMPONENTS, 0.0), **fitted}, round(popularity / top, 4)

    if adaptive:
        warm: tuple[list[float], float]  # (weights, popularity), as _ascend gives them
        cold: tuple[list[float], float]
        _, warm, cold, half = found[chosen]
        weights, popularity = scaled(*warm, max(warm[0]) or 1.0)
        cold_weights, cold_popularity = scaled(*cold, max(cold[0]) or 1.0)
        params = FusionParams(
            weights,
            method,
            rank_k,
            half,
            popularity,
            cold_weights=cold_weights,
            cold_popularity=cold_popularity,
        )
    else:
        _, weights, popularity = found[chosen]
        weights, popularity = scaled(weights, popularity, max(weights) or 1.0)
        params = FusionParams(weights, method, rank_k, 0.0, popularity)
    meta = {
        "validation_cases": len(cases),
        "newcomer_cases": int(sum(1 for case in cases if case.positives <= NEWCOMER_POSITIVES)),
        "k": k,
        "validation_ndcg_equal_rrf": round(equal, 5),
        "validation_ndcg_global": round(found[best["global"]][0], 5),
        "validation_ndcg_adaptive": round(found[best["adaptive"]][0], 5) if best["adaptive"] else None,
        "kept": "adaptive" if adaptive else "global",
        "by_setting": {f"{form} {m} {rk:g}": round(v[0], 5) for (form, m, rk), v in found.items()},
    }
    singles = {name: rrf.each([float(n == name) for n in names], 0.0) for name in names}
    meta["validation_ndcg_single_lists"] = {name: round(float(v.mean()), 5) for name, v in singles.items()}
    per_artist, served = fit_artist_cap(cases, params, k)
    meta.update(cap_scores(per_artist, served))
    # The served fusion against the best single list, case by case, on the cases it was fitted on:
    # it flatters the fusion, so it is reported; selection.py decides on cases the fit did not see.
    strongest = max(names, key=lambda name: (meta["validation_ndcg_single_lists"][name], name))
    difference, se = paired_difference(served[per_artist], singles[strongest])
    meta["validation_paired"] = {"against": strongest, "difference": round(difference, 5), "se": round(se, 5)}
    return params.with_(per_artist=per_artist, meta=meta)


def served_each(cases: Sequence[Case], params: FusionParams, k: int) -> list[float]:
    """NDCG@k of the list For you serves for each case: fused, then capped per artist."""
    values = []
    for case in cases:
        # Both lambdas are called before the loop moves on (fuse and diversify keep no reference).
        fused = fuse(case.lists, params, case.positives, lambda song: case.popularity.get(song, 0.0))  # noqa: B023
        top = diversify(
            fused,
            lambda song: case.artists.get(song, song),  # noqa: B023
            params.per_artist,
            max(k, DIVERSE_TOP),
        )
        values.append(ndcg([item.song_id for item in top], case.relevant, k))
    return values


def cap_scores(per_artist: int, served: dict[int, list[float]]) -> dict[str, Any]:
    """meta's validation_ndcg (the chosen cap's) and validation_ndcg_by_artist_cap, from fit_artist_cap."""
    by_cap = {str(cap): round(float(np.mean(values)), 5) for cap, values in served.items()}
    return {"validation_ndcg": by_cap[str(per_artist)], "validation_ndcg_by_artist_cap": by_cap}


def fit_artist_cap(cases: Sequence[Case], params: FusionParams, k: int) -> tuple[int, dict[int, list[float]]]:
    """(the cap that serves best on validation, {cap: each case's NDCG}); the tighter unless a looser
    one clearly wins."""
    served = {cap: served_each(cases, params.with_(per_artist=cap), k) for cap in PER_ARTIST_GRID}
    mean = {cap: float(np.mean(values)) if values else 0.0 for cap, values in served.items()}
    best = PER_ARTIST_GRID[0]
    for cap in PER_ARTIST_GRID[1:]:
        if mean[cap] > mean[best] * (1 + CAP_MARGIN):
            best = cap
    return best, served
