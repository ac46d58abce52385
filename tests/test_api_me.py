"""/api/v1/me: profile, activity log and posting actions, recommendations."""

import pytest

from app.services.activity.events import event_count, record_activity
from app.services.recommendations.lists import Filters

from .api_support import (  # noqa: F401  (fake_recommender is a fixture)
    assert_json_error,
    bearer,
    fake_recommender,
    make_user,
    new_token,
    song_ids,
)


@pytest.fixture
def api(client, app, user, demo_songs):
    """GET and POST under /api/v1 as alice, with a Bearer token."""
    headers = bearer(new_token(app, user))

    class Api:
        def get(self, path, **query):
            return client.get("/api/v1" + path, headers=headers, query_string=query)

        def post(self, path, **kwargs):
            return client.post("/api/v1" + path, headers=headers, **kwargs)

    return Api()


def test_profile_with_counts(api, app, user):
    first, second = song_ids(app, 2)
    with app.app_context():
        for kind, song in [
            ("like", first),
            ("like", second),
            ("bookmark", first),
            ("play", first),
            ("play", first),
            ("play", second),
            ("dislike", second),
        ]:
            record_activity(user, song, kind)
        record_activity(user, first, "rate", 4)
    body = api.get("/me").get_json()
    assert (body["id"], body["username"], body["is_admin"]) == (user, "alice", False)
    assert body["emotions"] == [] and body["created_at"].endswith("+00:00")
    assert body["counts"] == {"likes": 1, "dislikes": 1, "bookmarks": 1, "ratings": 1, "plays": 3}


def test_posting_actions_answers_the_event_and_the_new_state(api, app):
    song = song_ids(app, 1)[0]
    liked = api.post("/me/activities", json={"song_id": song, "action": "like"})
    assert liked.status_code == 201
    body = liked.get_json()
    assert (body["event"]["action"], body["event"]["song_id"], body["event"]["value"]) == ("like", song, None)
    assert body["event"]["song"]["id"] == song and body["state"]["liked"] is True
    rated = api.post("/me/activities", json={"song_id": song, "action": "rate", "value": 4}).get_json()
    assert rated["event"]["value"] == 4 and rated["state"] == {**body["state"], "rating": 4}
    disliked = api.post("/me/activities", json={"song_id": song, "action": "dislike"}).get_json()
    assert (disliked["state"]["liked"], disliked["state"]["disliked"]) == (False, True)


@pytest.mark.parametrize(
    "payload, word",
    [
        ({"song_id": 1, "action": "rate", "value": 6}, "1 to 5"),
        ({"song_id": 1, "action": "rate"}, "1 to 5"),
        ({"song_id": 1, "action": "hug"}, "unknown activity"),
        ({"song_id": 1, "action": "like", "value": 3}, "takes no value"),
        ({"action": "like"}, "song_id"),
        ({"song_id": "1", "action": "like"}, "song_id"),
        ({"song_id": True, "action": "like"}, "song_id"),
        ({"song_id": 1}, "action"),
        (["song_id", 1], "JSON object"),
    ],
)
def test_bad_actions_are_400_and_record_nothing(api, app, user, payload, word):
    assert_json_error(api.post("/me/activities", json=payload), 400, word)
    with app.app_context():
        assert event_count(user) == 0


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("song_id=1&action=like", "application/x-www-form-urlencoded"),
        ('{"song_id": 1, "action": "like"', "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(api, app, user, data, content_type):
    assert_json_error(api.post("/me/activities", data=data, content_type=content_type), 400, "JSON")
    with app.app_context():
        assert event_count(user) == 0


def test_an_unknown_song_is_404(api, app, user):
    assert_json_error(api.post("/me/activities", json={"song_id": 999999, "action": "like"}), 404, "999999")
    with app.app_context():
        assert event_count(user) == 0


def test_activity_log_is_newest_first_and_paged(api, app):
    songs = song_ids(app, 3)
    for song, action in zip(songs, ["play", "like", "bookmark"]):
        assert api.post("/me/activities", json={"song_id": song, "action": action}).status_code == 201
    body = api.get("/me/activities", per_page=2).get_json()
    assert (body["total"], body["pages"], body["per_page"]) == (3, 2, 2)
    assert [e["action"] for e in body["items"]] == ["bookmark", "like"]
    assert [e["action"] for e in api.get("/me/activities", page=2, per_page=2).get_json()["items"]] == [
        "play"
    ]
    assert_json_error(api.get("/me/activities", per_page=0), 400, "per_page")
    assert_json_error(api.get("/me/activities", page="x"), 400, "page")


def test_the_log_shows_only_the_callers_events(api, app, client):
    bob = make_user(app, "bob")
    with app.app_context():
        record_activity(bob, song_ids(app, 1)[0], "like")
    assert api.get("/me/activities").get_json()["total"] == 0
    bob_log = client.get("/api/v1/me/activities", headers=bearer(new_token(app, bob))).get_json()
    assert bob_log["total"] == 1


def test_recommendations_pass_approach_k_and_filters(api, user, fake_recommender):
    body = api.get("/me/recommendations").get_json()
    assert (body["approach"], body["k"], len(body["items"])) == ("for_you", 10, 10)
    assert fake_recommender.calls[-1] == ("recommend_for", user, "for_you", 10, Filters())
    api.get("/me/recommendations", approach="knowledge", k=3, genre="rock", emotion="joy", explicit="false")
    assert fake_recommender.calls[-1] == (
        "recommend_for",
        user,
        "knowledge",
        3,
        Filters(no_explicit=True, genre="rock", emotion="joy"),
    )
    api.get("/me/recommendations", explicit="true")
    assert fake_recommender.calls[-1][4] == Filters()


@pytest.mark.parametrize(
    "query, word",
    [
        ({"approach": "astrology"}, "approach"),
        ({"k": 0}, "k"),
        ({"k": 101}, "k"),
        ({"k": "many"}, "k"),
        ({"explicit": "sometimes"}, "explicit"),
        ({"emotion": "bored"}, "emotion"),
    ],
)
def test_bad_recommendation_parameters_are_400(api, fake_recommender, query, word):
    assert_json_error(api.get("/me/recommendations", **query), 400, word)
    assert fake_recommender.calls == []


def test_degraded_recommendations_are_still_200(api, fake_recommender):
    fake_recommender.degraded = True
    response = api.get("/me/recommendations", approach="content")
    assert response.status_code == 200 and response.get_json()["degraded"] is True


def test_a_value_error_from_the_service_is_400(api, fake_recommender):
    fake_recommender.error = ValueError("k must be a whole number from 1 to 100")
    assert_json_error(api.get("/me/recommendations"), 400, "from 1 to 100")


def test_a_like_removes_the_song_from_the_next_content_recommendations(api, app, user):
    from app.services.indexing.song_vectors import embed_songs

    with app.app_context():
        embed_songs()
        record_activity(user, song_ids(app, 1)[0], "like")  # a taste to recommend from
    before = api.get("/me/recommendations", approach="content", k=10).get_json()
    listed = [item["song"]["id"] for item in before["items"]]
    assert listed and before["degraded"] is False
    liked = api.post("/me/activities", json={"song_id": listed[0], "action": "like"})
    assert liked.status_code == 201
    after = api.get("/me/recommendations", approach="content", k=10).get_json()
    assert after["items"] and listed[0] not in [item["song"]["id"] for item in after["items"]]


def test_an_invalid_body_names_each_bad_field(api, app, user):
    body = assert_json_error(
        api.post("/me/activities", json={"song_id": "1", "action": "hug", "extra": 1}), 400
    )
    assert set(body["fields"]) == {"song_id", "action", "extra"}
    assert "unknown activity" in body["fields"]["action"] and "whole number" in body["fields"]["song_id"]
    with app.app_context():
        assert event_count(user) == 0
