"""The per-user cache of recommendation lists: hits, invalidation by the user's own changes, the TTL
for everyone else's, two workers on one database, degraded lists, keys and configuration."""

import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import Config
from app.extensions import db, embedder, vector_store
from app.models import Song, User, UserSong
from app.recommend.items import Filters
from app.services.accounts import users
from app.services.activity.events import record_activity
from app.services.recommendations import cache as rc
from app.services.recommendations import lists as recs
from app.vectors import VectorStoreError

from .api_support import bearer, new_token
from .conftest import AuthActions, csrf_token
from .fakes import HashingEmbedder

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/recommendations/"}


@pytest.fixture
def computed(monkeypatch):
    """Counts the lists computed from scratch (cache misses), in every app of the test.

    The model version is pinned meanwhile: a background refit of the item model after some
    activity would otherwise change every key at a moment the test does not choose.
    test_keys_differ_for_every_part covers the model version's part of the key.
    """
    calls = []
    real = recs._compute

    def counting(user, approach, k, filters):
        calls.append((user.id, approach, k, filters))
        return real(user, approach, k, filters)

    monkeypatch.setattr(recs, "_compute", counting)
    previous = rc.register_model_version(lambda: "pinned")
    yield calls
    rc.register_model_version(previous)


@pytest.fixture
def clock(app):
    """A fake clock for the cache's TTL: now[0] is the time; tests move it instead of sleeping."""
    now = [1_000_000.0]
    app.extensions[rc.CLOCK] = lambda: now[0]
    return now


def user_id(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


class Api:
    """One user's calls to the JSON API through one app's test client, with a Bearer token."""

    def __init__(self, client, token):
        self.client, self.headers = client, bearer(token)

    def recommendations(self, approach="content", k=10, **filters):
        response = self.client.get(
            "/api/v1/me/recommendations",
            headers=self.headers,
            query_string={"approach": approach, "k": k, **filters},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def ids(self, approach="content", k=10, **filters):
        return [item["song"]["id"] for item in self.recommendations(approach, k, **filters)["items"]]

    def act(self, song_id, action, value=None):
        body = {"song_id": song_id, "action": action, **({} if value is None else {"value": value})}
        response = self.client.post("/api/v1/me/activities", headers=self.headers, json=body)
        assert response.status_code == 201, response.get_data(as_text=True)


@pytest.fixture
def api(app, client, seeded):
    """The API as seeded user3, who has activity, a taste vector and neighbours."""
    return Api(client, new_token(app, user_id(app, "user3")))


@pytest.mark.parametrize("approach", ["for_you", "collaborative"])
def test_a_second_call_with_nothing_changed_is_served_from_the_cache(api, computed, approach):
    first = api.recommendations(approach, 10)
    assert len(computed) == 1 and first["items"]
    assert api.recommendations(approach, 10) == first
    assert len(computed) == 1  # no engine ran for the second call


@pytest.mark.parametrize("action, value", [("like", None), ("dislike", None), ("rate", 2)])
def test_the_users_own_action_changes_the_very_next_response(api, computed, action, value):
    before = api.ids("content")
    assert api.ids("content") == before and len(computed) == 1  # cached
    api.act(before[0], action, value)
    after = api.ids("content")
    assert len(computed) == 2
    assert before[0] not in after  # it is in the user's library now, so every list excludes it


def test_a_dislike_on_the_recommendations_page_removes_the_song_at_once(app, client, seeded, computed):
    AuthActions(client).login("user2", "user2@000")
    page = "/recommendations/content"
    html = client.get(page, headers=HTMX).get_data(as_text=True)
    # CSRF tokens carry a timestamp: two renders a second apart differ only there.
    without_tokens = lambda text: re.sub(r'name="csrf_token"[^>]*>', "", text)  # noqa: E731
    assert without_tokens(client.get(page, headers=HTMX).get_data(as_text=True)) == without_tokens(html)
    assert len(computed) == 1
    song = int(html.split('<article class="song-card" id="song-', 1)[1].split('"', 1)[0])
    token = csrf_token(client, f"/songs/{song}")
    response = client.post(
        f"/songs/{song}/act", data={"csrf_token": token, "action": "dislike"}, headers=HTMX
    )
    assert response.status_code == 200
    again = client.get(page, headers=HTMX).get_data(as_text=True)
    assert f'id="song-{song}"' in html and f'id="song-{song}"' not in again


def test_a_profile_save_changes_the_knowledge_list(app, client, auth, seeded, computed):
    with app.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        users.update_profile(alice, 30, "Parties", ["joy"], ["party"])
    auth.login()
    api = Api(client, new_token(app, user_id(app, "alice")))
    before = api.recommendations("knowledge")["items"]
    assert before and {item["song"]["emotion"] for item in before} == {"joy"}
    api.recommendations("knowledge")
    assert len(computed) == 1
    token = csrf_token(client, "/profile/")
    saved = client.post(
        "/profile/",
        data={"age": "31", "bio": "Gym", "emotions": ["anger"], "tags": ["exercise"], "csrf_token": token},
    )
    assert saved.status_code == 302
    after = api.recommendations("knowledge")["items"]
    assert after and {item["song"]["emotion"] for item in after} == {"anger"}


def test_another_users_like_reaches_a_cached_list_only_after_the_ttl(app, client, seeded, computed, clock):
    # Two new listeners who share two likes nobody else has: each is the other's nearest neighbour.
    with app.app_context():
        touched = sa.select(UserSong.song_id)
        free = db.session.scalars(sa.select(Song.id).where(Song.id.not_in(touched)).order_by(Song.id)).all()
        me = users.register_user("listener", "long enough pw")
        neighbour = users.register_user("neighbour", "long enough pw")
        for song in free[:2]:
            record_activity(me.id, song, "like")
            record_activity(neighbour.id, song, "like")
        record_activity(neighbour.id, free[2], "like")
        me_id, neighbour_id, new_like = me.id, neighbour.id, free[3]
    api = Api(client, new_token(app, me_id))
    before = api.ids("collaborative")
    assert free[2] in before and new_like not in before  # the neighbour's likes are what it offers

    with app.app_context():
        record_activity(neighbour_id, new_like, "like")
    clock[0] += app.config["RECOMMENDATION_CACHE_TTL"] - 1
    assert api.ids("collaborative") == before and len(computed) == 1  # still within the TTL
    clock[0] += 1
    assert new_like in api.ids("collaborative") and len(computed) == 2


def test_two_workers_on_one_database_see_the_same_invalidation(app, client, seeded, computed):
    # A second app on the same SQLite file, sharing the vector store as workers share a Qdrant server.
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "QDRANT_LOCATION": ":memory:",
        }
    )
    embedder.override(other, HashingEmbedder())
    vector_store.override(other, vector_store(app))
    token = new_token(app, user_id(app, "user5"))
    a, b = Api(client, token), Api(other.test_client(), token)
    try:
        warm = a.ids("content")
        assert b.ids("content") == warm and len(computed) == 2  # each worker has its own cache
        assert a.ids("content") == warm and b.ids("content") == warm and len(computed) == 2
        a.act(warm[0], "like")
        after = b.ids("content")
        assert len(computed) == 3 and warm[0] not in after
    finally:
        with other.app_context():
            db.engine.dispose()


def test_degraded_lists_are_not_cached(app, api, computed, monkeypatch):
    with app.app_context():
        store = vector_store()

    def down(*args, **kwargs):
        raise VectorStoreError("connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(store, "search", down)
        outage.setattr(store, "search_batch", down)  # the engines' searches go through it
        outage.setattr(store, "retrieve", down)
        assert api.recommendations("content")["degraded"] is True
        assert api.recommendations("content")["degraded"] is True and len(computed) == 2  # not kept
    back = api.recommendations("content")
    assert back["degraded"] is False and back["items"] and len(computed) == 3
    assert api.recommendations("content") == back and len(computed) == 3  # the good one is kept


def test_a_cold_start_list_is_cached(app, seeded, computed):
    with app.app_context():
        blank = users.register_user("blank", "long enough pw")
        first = recs.recommend_for(blank, "for_you", k=5)
        assert first["items"] and all(i["approach"] == "popular" for i in first["items"])
        assert recs.recommend_for(blank, "for_you", k=5) == first and len(computed) == 1


def test_keys_differ_for_every_part(app):
    with app.app_context():
        base = (7, 3, "content", 10, Filters())
        variants = [
            base,
            (8, 3, "content", 10, Filters()),
            (7, 4, "content", 10, Filters()),
            (7, 3, "knowledge", 10, Filters()),
            (7, 3, "content", 11, Filters()),
            (7, 3, "content", 10, Filters(no_explicit=True)),
            (7, 3, "content", 10, Filters(genre="rock")),
            (7, 3, "content", 10, Filters(emotion="rock")),
            (7, 3, "content", 10, Filters(genre="a:b")),
            (7, 3, "content", 10, Filters(genre="a", emotion="b")),
        ]
        keys = [rc.cache_key(*v) for v in variants]
        assert len(set(keys)) == len(keys), keys
        assert len(rc.cache_key(7, 3, "content", 10, Filters(genre="x" * 500))) <= rc.MAX_KEY
        for_you = (7, 3, "for_you", 10, Filters())
        before = [rc.cache_key(*for_you), rc.cache_key(7, 3, "item_based", 10, Filters())]
        previous = rc.register_model_version(lambda: "item-model-2")
        try:
            assert rc.model_version() == "item-model-2"
            # A refitted item model makes the lists that read it stale, and only those.
            assert rc.cache_key(*for_you) != before[0]
            assert rc.cache_key(7, 3, "item_based", 10, Filters()) != before[1]
            assert rc.cache_key(*base) == keys[0]
        finally:
            rc.register_model_version(previous)
        assert rc.cache_key(*for_you) == before[0]


def test_k_filters_and_approach_are_cached_apart(api, computed):
    lists = {
        ("content", 5, ()): api.ids("content", 5),
        ("content", 6, ()): api.ids("content", 6),
        ("knowledge", 5, ()): api.ids("knowledge", 5),
        ("content", 5, ("no_explicit",)): api.ids("content", 5, explicit="false"),
    }
    assert len(computed) == 4
    assert len(lists[("content", 6, ())]) == 6 and lists[("content", 5, ())] != lists[("knowledge", 5, ())]
    assert api.ids("content", 5) == lists[("content", 5, ())] and len(computed) == 4


def test_mutating_a_returned_list_does_not_change_the_cache(app, seeded, computed):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user1"))
        first = recs.recommend_for(user, "content", k=5)
        expected = [i["song"]["id"] for i in first["items"]]
        first["items"].clear()
        again = recs.recommend_for(user, "content", k=5)
        assert [i["song"]["id"] for i in again["items"]] == expected and len(computed) == 1
        again["items"][0]["song"]["title"] = "changed"
        assert recs.recommend_for(user, "content", k=5)["items"][0]["song"]["title"] != "changed"


def test_a_ttl_of_zero_turns_the_cache_off(app, api, computed):
    app.config["RECOMMENDATION_CACHE_TTL"] = 0
    api.recommendations("popular")
    api.recommendations("popular")
    assert len(computed) == 2


def test_cache_backend_and_ttl_come_from_the_environment(tmp_path, monkeypatch):
    for name in ("CACHE_TYPE", "CACHE_REDIS_URL", "REDIS_URL", "RECOMMENDATION_CACHE_TTL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    default = Config.from_env(tmp_path)
    assert (default["CACHE_TYPE"], default["RECOMMENDATION_CACHE_TTL"]) == ("SimpleCache", 300)
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("RECOMMENDATION_CACHE_TTL", "60")
    redis = Config.from_env(tmp_path)
    assert redis["CACHE_TYPE"] == "RedisCache" and redis["CACHE_REDIS_URL"] == "redis://cache:6379/0"
    assert redis["RECOMMENDATION_CACHE_TTL"] == 60
    monkeypatch.setenv("CACHE_TYPE", "NullCache")
    assert Config.from_env(tmp_path)["CACHE_TYPE"] == "NullCache"


def test_each_app_has_its_own_cache(app, database_uri):
    from app.extensions import cache

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri("other")})
    with app.app_context():
        cache.set("probe", 1)
    with other.app_context():
        assert cache.get("probe") is None
    with app.app_context():
        assert cache.get("probe") == 1
