"""The fit checked out of fold: For you keeps its fusion only when it beats the best single list on
validation cases the fusion was not fitted on."""

import pytest

from app.evaluation.selection import BACKUP, fit_checked, halves, single_list
from app.evaluation.tuning import Case
from app.evaluation.validation import describe_fit
from app.recommend.fusion import diversify, fuse

from .test_fusion_fit import _cases, ranked


def _knowledge_finds_everything(users=40):
    """Knowledge ranks each user's song first; the other lists never hold it."""
    cases = []
    for user in range(users):
        hit = 1000 + user
        lists = {
            "knowledge": ranked("knowledge", [hit, *range(1, 10)]),
            "collaborative": ranked("collaborative", range(11 + user % 5, 21 + user % 5)),
            "content": ranked("content", range(31, 41)),
        }
        cases.append(Case(10 + user % 7, lists, frozenset({hit}), {}, group=user))
    return cases


def test_for_you_falls_back_to_the_best_single_list_when_fusion_adds_nothing_unseen():
    cases = _knowledge_finds_everything()
    params = fit_checked(cases, k=10)
    assert params.meta["kept"] == "single list: knowledge"
    assert params.weights["knowledge"] == 1.0
    others = [params.weights[name] for name in ("content", "collaborative", "item_based")]
    assert all(0 <= weight <= BACKUP for weight in others)  # they only fill in behind knowledge
    assert params.popularity == 0.0 and params.cold_weights is None and params.evidence_half == 0.0
    check = params.meta["out_of_fold"]
    assert check["against"] == ["knowledge", "knowledge"] and check["cases"] == 40
    assert check["difference"] <= 0  # the fusion at best ties knowledge on the halves it never saw
    assert params.meta["fused"]["validation_ndcg"] == pytest.approx(1.0)
    assert params.meta["validation_ndcg"] == pytest.approx(1.0)
    # Served, For you is knowledge's own list: its order, its reasons.
    case = cases[3]
    served = diversify(fuse(case.lists, params, case.positives), lambda song: song, params.per_artist, 10)
    assert [item.song_id for item in served] == [item.song_id for item in case.lists["knowledge"]]
    assert {item.reason for item in served} == {item.reason for item in case.lists["knowledge"]}
    assert "single list: knowledge kept" in describe_fit(params)


def test_a_fusion_that_wins_on_unseen_cases_is_kept():
    # Active users find their song through collaborative, newcomers through knowledge: only the
    # adaptive fusion finds both, on either half.
    params = fit_checked(_cases(), k=1)
    assert params.meta["kept"] == "adaptive"
    check = params.meta["out_of_fold"]
    assert check["difference"] > 0.3 and check["difference"] > 3 * check["se"]
    assert "fused" not in params.meta
    assert "out of fold +" in describe_fit(params)


def test_the_halves_keep_each_users_cases_together_and_are_repeatable():
    groups = [1, 1, 2, 3, 3, 3, 4, 5, 6, 6]
    cases = [Case(5, {}, frozenset(), {}, group=group) for group in groups]
    assigned = halves(cases)
    assert assigned == halves(cases)  # seeded: the same split every time
    by_group = {}
    for group, half in zip(groups, assigned):
        by_group.setdefault(group, set()).add(half)
    assert all(len(found) == 1 for found in by_group.values())
    assert set(assigned) == {0, 1}
    # Cases with no user each count as their own.
    loose = halves([Case(5, {}, frozenset(), {}) for _ in range(6)])
    assert sorted(loose) == [0, 0, 0, 1, 1, 1]


def test_too_few_users_to_split_keep_the_fusion_unchecked():
    params = fit_checked(_knowledge_finds_everything(users=1), k=10)
    assert params.meta["out_of_fold"] is None and params.meta["kept"] == "global"


def test_the_single_list_leads_in_its_own_order_and_the_fit_fills_in_behind_it():
    fitted = {"content": 0.375, "collaborative": 0.5, "knowledge": 1.0, "item_based": 0.25}
    params = single_list("knowledge", fitted)
    assert params.weights == {
        "content": 3.75e-7,
        "collaborative": 5e-7,
        "knowledge": 1.0,
        "item_based": 2.5e-7,
    }
    assert params.method == "rank" and params.popularity == 0.0
    # The longest list For you asks for (3 x k = 300 at k = 100). The other lists rank its last songs
    # first, which would lift them in any real fusion: here its order stands, and its songs all come
    # before the others' own.
    own = list(range(1, 301))
    lists = {
        "knowledge": ranked("knowledge", own),
        "collaborative": ranked("collaborative", [300, 299, 298, 5000, 5001]),
        "content": ranked("content", [299, 5002, 300]),
        "item_based": ranked("item_based", [298, 5003]),
    }
    assert [item.song_id for item in fuse(lists, params, positives=20)] == [*own, 5000, 5001, 5002, 5003]
    # A user the list has nothing for (knowledge, for one who stated no preferences) gets the others'
    # fusion, not an empty list.
    lists["knowledge"] = []
    fused = fuse(lists, params, positives=20)
    assert {item.song_id for item in fused} == {298, 299, 300, 5000, 5001, 5002, 5003}
    assert fused[0].reason.startswith(("collaborative", "content"))
