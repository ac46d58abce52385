"""The item model: EASE on who liked what, its list and reasons, and its life in the app process."""

import threading

import numpy as np
import pytest

from app.recommend.item_model import (
    fit_item_model,
    fit_item_model_from_pairs,
    item_based_recommendations,
    item_scores,
)
from app.recommend.items import Filters, SongInfo, UserContext
from app.services.recommendations import item_model as service

from .conftest import AuthActions, csrf_token

# Songs 1-3 are liked together, 4-5 together, 6 by one listener only.
LIKES = {
    10: {1: 1.0, 2: 1.0, 3: 1.0},
    11: {1: 1.0, 2: 1.0, 3: 1.0},
    12: {1: 1.0, 2: 1.0},
    13: {4: 1.0, 5: 1.0},
    14: {4: 1.0, 5: 1.0, 6: 1.0},
    15: {2: 1.0, 3: 1.0},
}


class Catalog:
    def __init__(self, model):
        self.model = model

    def item_model(self):
        return self.model

    def songs(self, ids):
        return {
            i: SongInfo(i, f"Song {i}", f"Artist {i}", "rock" if i < 4 else "jazz") for i in ids if i <= 6
        }


def test_songs_liked_together_predict_each_other():
    model = fit_item_model(LIKES, l2=2.0)
    assert 6 not in model.index  # one fan: nothing to learn from
    scores, rows = item_scores(model, [1])
    assert len(rows) == 1 and scores[model.index[1]] == 0.0  # the diagonal is zero
    assert scores[model.index[2]] > 0 and scores[model.index[3]] > 0
    assert scores[model.index[2]] > scores[model.index[4]]  # co-liked beats unrelated


def test_the_list_excludes_the_library_and_names_the_song_behind_each_pick():
    model = fit_item_model(LIKES, l2=2.0)
    fresh = UserContext(99, history={1: 2.0}, library=frozenset({1}))
    assert [i.song_id for i in item_based_recommendations(fresh, None, Catalog(model), k=5)] == [2, 3]
    ctx = UserContext(99, history={1: 2.0}, library=frozenset({1, 2}))
    items = item_based_recommendations(ctx, None, Catalog(model), k=5)
    assert [i.song_id for i in items] == [3]  # the library never comes back; unrelated songs score 0
    assert items[0].reason == "Often liked together with 'Song 1' by Artist 1"
    assert items[0].approach == "item_based" and items[0].sources == ("item_based",)
    jazz = item_based_recommendations(ctx, None, Catalog(model), k=5, filters=Filters(genre="jazz"))
    assert jazz == []  # the jazz songs are not liked with song 1: nothing passes the filter
    rock = item_based_recommendations(fresh, None, Catalog(model), k=5, filters=Filters(genre="rock"))
    assert [i.song_id for i in rock] == [2, 3]
    assert item_based_recommendations(UserContext(98), None, Catalog(model)) == []  # nothing liked
    assert item_based_recommendations(ctx, None, Catalog(None)) == []  # no model yet


def test_the_cap_keeps_the_most_liked_songs_and_pairs_match_dicts():
    capped = fit_item_model(LIKES, max_items=3, l2=2.0)
    assert sorted(capped.index) == [1, 2, 3]  # 5 fans, 5 and 4: the three most liked
    users = np.array([u for u, songs in LIKES.items() for _ in songs])
    songs = np.array([s for liked in LIKES.values() for s in liked])
    from_pairs = fit_item_model_from_pairs(users, songs, l2=2.0)
    assert np.allclose(from_pairs.weights, fit_item_model(LIKES, l2=2.0).weights, atol=1e-6)
    assert (
        fit_item_model({1: {1: 1.0}}) is None
        and fit_item_model_from_pairs(np.array([]), np.array([])) is None
    )


def test_a_saved_model_loads_back_and_a_corrupt_file_is_refitted(tmp_path):
    model = fit_item_model(LIKES, l2=2.0, version="abc")
    service.save_model(model, tmp_path / "m.npz")
    loaded = service.load_model(tmp_path / "m.npz")
    assert loaded.version == "abc" and np.array_equal(loaded.weights, model.weights)
    assert loaded.index == model.index
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert service.load_model(tmp_path / "bad.npz") is None
    assert service.load_model(tmp_path / "missing.npz") is None


@pytest.fixture
def background(app, seeded, tmp_path):
    """The seeded app with the item model refreshed in the background, at once after activity."""
    app.config.update(
        ITEM_MODEL_REFRESH="background",
        ITEM_MODEL_REFRESH_SECONDS=0,
        ITEM_MODEL_PATH=str(tmp_path / "item_model.npz"),
    )
    holder = service.holder(app)
    holder.refresh(wait=True)
    yield holder
    holder.join(10)
    holder.close()


def test_activity_refits_the_model_in_the_background_without_holding_the_request(
    app, client, background, monkeypatch
):
    first = background.model
    assert first is not None and len(first.item_ids) > 10
    release, started = threading.Event(), threading.Event()
    real_fit = service.fit_from_database

    def slow_fit(*args, **kwargs):
        started.set()
        assert release.wait(10)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(service, "fit_from_database", slow_fit)
    AuthActions(client).login("user0", "user0@000")
    token = csrf_token(client, "/songs/")
    song_id = int(first.item_ids[-1])
    response = client.post(f"/songs/{song_id}/act", data={"csrf_token": token, "action": "like"})
    assert response.status_code == 302
    assert started.wait(10)  # the fit began after the like ...
    assert background.model is first  # ... and the request returned while it still runs
    page = client.get("/recommendations/item_based")
    assert page.status_code == 200  # requests keep being served from the old model meanwhile
    release.set()
    background.join(10)
    assert background.model is not first and background.model.version != first.version
    with app.app_context():
        assert background.model.version == service.data_version()
        # The refreshed model is what a request now uses.
        assert service.current_model() is background.model


def test_a_starting_process_loads_the_saved_model_instead_of_fitting(app, background, monkeypatch):
    saved_version = background.model.version
    fresh = service.ItemModelHolder(app)
    monkeypatch.setattr(
        service, "fit_from_database", lambda *a, **k: pytest.fail("fitted instead of loading")
    )
    fresh.refresh(wait=True)
    assert fresh.model is not None and fresh.model.version == saved_version
