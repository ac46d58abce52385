"""Taste vectors, with no app: weights and blending."""

import numpy as np
import pytest

from app.recommend.taste import taste_vector
from app.vectors.schema import interaction_weight


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_interaction_weights_order_signals():
    assert (
        interaction_weight(liked=True, rating=5)
        > interaction_weight(liked=True)
        > interaction_weight(play_count=4)
        > 0
    )
    assert interaction_weight(play_count=1) == 0
    assert interaction_weight(rating=1) < 0 and interaction_weight(rating=2) < 0
    assert interaction_weight(liked=True, play_count=9, disliked=True) < 0


def test_no_signal_gives_no_vector():
    assert taste_vector([], []) is None
    assert taste_vector([[1, 0, 0]], [0.0]) is None


def test_preference_alone_is_the_taste():
    pref = unit([0, 1, 0])
    assert np.allclose(taste_vector([], [], pref), pref)


def test_likes_pull_toward_and_dislikes_push_away():
    rock, jazz, pref = unit([1, 0, 0.1]), unit([0, 1, 0.1]), unit([0.5, 0.5, 1])
    base = taste_vector([], [], pref)
    liked = taste_vector([rock] * 3, [2.0] * 3, pref)
    assert liked @ rock > base @ rock
    disliked = taste_vector([rock, rock, rock, jazz], [2.0, 2.0, 2.0, -2.5], pref)
    assert disliked @ jazz < liked @ jazz
    assert np.isclose(np.linalg.norm(disliked), 1.0)


def test_more_activity_weighs_more_than_the_preference():
    rock, pref = unit([1, 0, 0]), unit([0, 1, 0])
    few = taste_vector([rock], [2.0], pref)
    many = taste_vector([rock] * 20, [2.0] * 20, pref)
    assert many @ rock > few @ rock
    assert few @ pref > many @ pref


@pytest.mark.parametrize("pref", [None, unit([0, 0, 1])])
def test_only_dislikes(pref):
    jazz = unit([0, 1, 0])
    result = taste_vector([jazz], [-2.5], pref)
    if pref is None:
        assert result is None  # nothing to move away from
    else:
        assert result @ jazz < 0
