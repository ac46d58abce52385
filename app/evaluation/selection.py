"""Whether For you's fitted fusion beats its best single list on validation cases it was not fitted on.

The fit (tuning.fit_fusion) keeps the best of many settings on the validation cases, so its score
there flatters it. On 30 demo populations (activity seeds 0-29) its gain over knowledge on
validation was positive on every one, while on each population's test split For you trailed
knowledge on most (docs/evaluation.md, section 3). So the fit is checked on cases it never saw: the
cases are split in two halves by user, the fusion is fitted on one half and served on the other
against the best single list of the first half (served the same way, capped per artist), and the
halves swap. When the fusion's gain on the unseen halves is not above zero, the data gives no
evidence that the other lists add anything, and For you serves the best single list, the other
lists only filling in behind it. Fits on half the cases are noisier than the fit on all of them, so
the check leans towards the single list when the two are close.
"""

import random
from collections.abc import Mapping, Sequence
from typing import Any

from ..recommend.fusion import FusionParams
from ..recommend.registry import COMPONENTS
from .metrics import paired_difference
from .tuning import Case, cap_scores, fit_artist_cap, fit_fusion, served_each

HALVES = 2
SPLIT_SEED = 0  # which users land in which half; fixed, so a fit is repeatable
# The single list leads, and the fused lists only fill in behind it: for a user the list has little
# or nothing for (knowledge, for one who stated no preferences), For you is the fusion, not popular.
# By rank (c = 60), consecutive songs of an n-song list differ by 61/((59+n)(60+n)), 0.0005 even
# at n = 300 (k = 100), and every song scores above 61/(60+n); the three others add at most
# 3 x BACKUP (fitted weights are at most 1). So the list keeps its own order, and each of its songs
# comes before any song it does not hold.
BACKUP = 1e-6


def fit_checked(cases: Sequence[Case], k: int = 10, names: Sequence[str] = tuple(COMPONENTS)) -> FusionParams:
    """fit_fusion's params when the fusion beats the best single list out of fold, else that list's.

    meta["out_of_fold"] holds the check: the single list each half was compared with, the fusion's
    mean gain over it on the halves it was not fitted on, its standard error and the number of
    cases; None when there were too few users to split. The list For you falls back on is the one
    strongest on all the cases.
    """
    fused = fit_fusion(cases, k, names)
    check = out_of_fold(cases, k, names)
    if check is None or check["difference"] > 0:
        return fused.with_(meta={**fused.meta, "out_of_fold": check})
    strongest = str(fused.meta["validation_paired"]["against"])
    single = single_list(strongest, fused.weights)
    per_artist, served = fit_artist_cap(cases, single, k)
    meta = {
        **fused.meta,
        "kept": f"single list: {strongest}",
        "fused": {"weights": fused.weights, "validation_ndcg": fused.meta["validation_ndcg"]},
        **cap_scores(per_artist, served),
        "out_of_fold": check,
    }
    return single.with_(per_artist=per_artist, meta=meta)


def single_list(name: str, backup: Mapping[str, float]) -> FusionParams:
    """For you as one list in its own order (by rank, no popularity prior), the lists weighed in
    `backup` (a fit's weights) filling in behind it."""
    weights = {other: 1.0 if other == name else BACKUP * weight for other, weight in backup.items()}
    return FusionParams({**dict.fromkeys(COMPONENTS, 0.0), **weights})


def halves(cases: Sequence[Case]) -> list[int]:
    """Each case's half (0 or 1): a user's cases (their folds, their newcomer replay) share one."""
    groups = [case.group if case.group is not None else -1 - row for row, case in enumerate(cases)]
    order = sorted(set(groups))
    random.Random(SPLIT_SEED).shuffle(order)
    half = {group: position % HALVES for position, group in enumerate(order)}
    return [half[group] for group in groups]


def out_of_fold(cases: Sequence[Case], k: int, names: Sequence[str]) -> dict[str, Any] | None:
    """{"against", "difference", "se", "cases"}: the fusion minus the best single list on unseen halves.

    "against" names each half's strongest single list, found on the half the fusion was fitted on.
    """
    assigned = halves(cases)
    fused_values: list[float] = []
    single_values: list[float] = []
    strongest: list[str] = []
    for half in range(HALVES):
        fit_on = [case for case, h in zip(cases, assigned) if h != half]
        score_on = [case for case, h in zip(cases, assigned) if h == half]
        if not fit_on or not score_on:
            return None
        fused = fit_fusion(fit_on, k, names)
        name = str(fused.meta["validation_paired"]["against"])
        single = single_list(name, fused.weights)
        single = single.with_(per_artist=fit_artist_cap(fit_on, single, k)[0])
        fused_values += served_each(score_on, fused, k)
        single_values += served_each(score_on, single, k)
        strongest.append(name)
    difference, se = paired_difference(fused_values, single_values)
    return {"against": strongest, "difference": round(difference, 5), "se": round(se, 5), "cases": len(cases)}
