"""Each metric against values worked out by hand, and the edge cases."""

import math

import numpy as np
import pytest

from app.evaluation import metrics

RANKED = ["a", "b", "c", "d", "e"]
RELEVANT = {"b", "d", "x"}  # hits at ranks 2 and 4; "x" is never recommended


def test_hit_rate():
    assert metrics.hit_rate(RANKED, RELEVANT, 5) == 1.0
    assert metrics.hit_rate(RANKED, RELEVANT, 1) == 0.0  # "a" alone misses


def test_precision():
    # top 5 holds b and d: 2 / 5; top 3 holds b: 1 / 3
    assert metrics.precision(RANKED, RELEVANT, 5) == pytest.approx(0.4)
    assert metrics.precision(RANKED, RELEVANT, 3) == pytest.approx(1 / 3)


def test_recall():
    # 2 of the 3 relevant items are in the top 5; 1 of 3 in the top 3
    assert metrics.recall(RANKED, RELEVANT, 5) == pytest.approx(2 / 3)
    assert metrics.recall(RANKED, RELEVANT, 3) == pytest.approx(1 / 3)


def test_ndcg():
    # DCG@5 = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
    # IDCG@5 (3 relevant at ranks 1-3) = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.63093 + 0.5 = 2.13093
    # NDCG@5 = 1.06161 / 2.13093 = 0.49819
    assert metrics.ndcg(RANKED, RELEVANT, 5) == pytest.approx(0.49819, abs=1e-5)
    # k=2: DCG = 1/log2(3) = 0.63093; IDCG = 1 + 0.63093 = 1.63093 -> 0.38685
    assert metrics.ndcg(RANKED, RELEVANT, 2) == pytest.approx(0.38685, abs=1e-5)
    assert metrics.ndcg(["b", "d", "x"], RELEVANT, 3) == pytest.approx(1.0)


def test_average_precision():
    # hits at ranks 2 (precision 1/2) and 4 (precision 2/4): (0.5 + 0.5) / min(3, 5) = 1/3
    assert metrics.average_precision(RANKED, RELEVANT, 5) == pytest.approx(1 / 3)
    # k=2: one hit at rank 2 (precision 1/2), over min(3, 2) = 2 -> 0.25
    assert metrics.average_precision(RANKED, RELEVANT, 2) == pytest.approx(0.25)
    # every relevant item first: (1/1 + 2/2) / min(2, 5) = 1
    assert metrics.average_precision(["b", "d", "a"], {"b", "d"}, 5) == pytest.approx(1.0)


def test_empty_list_scores_zero_everywhere():
    for name, metric in metrics.RANKING.items():
        assert metric([], RELEVANT, 10) == 0.0, name
    assert metrics.novelty([], {}, 0.5) is None
    assert metrics.intra_list_diversity([]) is None


def test_no_relevant_items_scores_zero():
    for name, metric in metrics.RANKING.items():
        assert metric(RANKED, set(), 5) == 0.0, name


def test_fewer_than_k_items_count_as_misses():
    # 2 items, both relevant, k = 4: precision 2/4; recall 2/2;
    # NDCG = (1 + 1/log2(3)) / (1 + 1/log2(3)) = 1 (only 2 relevant exist); AP = (1 + 1) / min(2, 4) = 1
    short, relevant = ["b", "d"], {"b", "d"}
    assert metrics.precision(short, relevant, 4) == pytest.approx(0.5)
    assert metrics.recall(short, relevant, 4) == 1.0
    assert metrics.ndcg(short, relevant, 4) == pytest.approx(1.0)
    assert metrics.average_precision(short, relevant, 4) == pytest.approx(1.0)
    # 1 relevant item of 3 relevant, list of 1, k = 10: precision 1/10, NDCG 1 / (1 + 0.63093 + 0.5)
    assert metrics.precision(["b"], RELEVANT, 10) == pytest.approx(0.1)
    assert metrics.ndcg(["b"], RELEVANT, 10) == pytest.approx(1 / 2.13093, abs=1e-5)


def test_a_repeated_item_counts_once():
    assert metrics.precision(["b", "b"], {"b"}, 2) == 0.5


def test_catalog_coverage():
    # lists use a, b, c (b twice) of a 10-item catalog: 3 / 10
    assert metrics.catalog_coverage([["a", "b"], ["b", "c"]], 10) == pytest.approx(0.3)
    assert metrics.catalog_coverage([], 10) == 0.0
    assert metrics.catalog_coverage([["a"]], 0) == 0.0


def test_intra_list_diversity():
    # x=(1,0), y=(0,1), z=(1,1)/sqrt2: cos(x,y)=0, cos(x,z)=cos(y,z)=0.70711; mean = 0.47140
    # diversity = 1 - 0.47140 = 0.52860 (vectors need not be unit length)
    vectors = [[1, 0], [0, 1], [3, 3]]
    assert metrics.intra_list_diversity(vectors) == pytest.approx(1 - 2 * math.sqrt(0.5) / 3, abs=1e-6)
    assert metrics.intra_list_diversity([[1, 0], [2, 0]]) == pytest.approx(0.0)  # same direction
    assert metrics.intra_list_diversity([[1, 0], [-1, 0]]) == pytest.approx(2.0)  # opposite
    assert metrics.intra_list_diversity([[1, 0]]) is None  # no pair to compare


def test_novelty_and_popularity_shares():
    # 3 users; "a" met by 3, "b" by 1, "c" by nobody. Add-one shares: a 4/4 = 1, b 2/4, unseen 1/4
    shares, unseen = metrics.popularity_shares({"a": 3, "b": 1, "c": 0}, 3)
    assert shares["a"] == 1.0 and shares["b"] == 0.5 and shares["c"] == unseen == 0.25
    # self-information: a 0 bits, b 1 bit, c 2 bits, "z" (not in shares) 2 bits -> mean of a, b, z = 1
    assert metrics.novelty(["a", "b"], shares, unseen) == pytest.approx(0.5)
    assert metrics.novelty(["a", "b", "z"], shares, unseen) == pytest.approx(1.0)


def test_summarize_averages_over_users():
    # u1: ["a", "b"] vs {"a"}: precision@2 1/2, recall 1, hit 1, NDCG 1, AP 1
    # u2: ["c"] vs {"d"}: everything 0
    # coverage: a, b, c of 4 items = 0.75; diversity: only u1 has a pair (a=(1,0), b=(0,1)): 1.0
    vectors = {"a": [1, 0], "b": [0, 1], "c": [1, 1], "d": [0, 1]}
    shares, unseen = metrics.popularity_shares({"a": 1, "b": 0, "c": 0, "d": 0}, 1)  # a: 1, others 0.5
    result = metrics.summarize(
        {"u1": ["a", "b"], "u2": ["c"]},
        {"u1": {"a"}, "u2": {"d"}},
        2,
        4,
        lambda ids: np.asarray([vectors[i] for i in ids]),
        shares,
        unseen,
    )
    assert result["precision"] == pytest.approx(0.25)
    assert result["recall"] == result["hit_rate"] == result["ndcg"] == result["map"] == pytest.approx(0.5)
    assert result["coverage"] == pytest.approx(0.75)
    assert result["diversity"] == pytest.approx(1.0)
    # novelty: u1 mean(0, 1) = 0.5; u2: c -> 1 bit; mean over users 0.75
    assert result["novelty"] == pytest.approx(0.75)
    assert set(result) == set(metrics.METRICS)


def test_paired_difference_is_the_mean_gap_and_its_standard_error():
    # gaps 1, 0, 0, -1, 1: mean 0.2; sample standard deviation sqrt(0.7); over sqrt(5) users
    difference, se = metrics.paired_difference([1.0, 0.5, 0.0, 0.0, 1.0], [0.0, 0.5, 0.0, 1.0, 0.0])
    assert difference == pytest.approx(0.2)
    assert se == pytest.approx(math.sqrt(0.7) / math.sqrt(5))
    # A constant gap has no error at all, however large it is.
    assert metrics.paired_difference([0.5, 0.7, 0.9], [0.4, 0.6, 0.8]) == pytest.approx((0.1, 0.0))
    # One user: a difference but no spread to estimate an error from; no users: nothing.
    assert metrics.paired_difference([0.3], [0.1]) == pytest.approx((0.2, 0.0))
    assert metrics.paired_difference([], []) == (0.0, 0.0)
    with pytest.raises(ValueError, match="same users"):
        metrics.paired_difference([0.1, 0.2], [0.1])
