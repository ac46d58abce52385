"""GET /api/v1/songs: search, filters, sort, paging, one song, similar songs."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Song
from app.services.activity.events import record_activity

from .api_support import assert_json_error, bearer, fake_recommender, new_token  # noqa: F401


@pytest.fixture
def api(client, app, user, demo_songs):
    """GET under /api/v1 as alice, with a Bearer token."""
    headers = bearer(new_token(app, user))

    def get(path, **query):
        return client.get("/api/v1" + path, headers=headers, query_string=query)

    return get


def first_song(app):
    with app.app_context():
        song = db.session.scalars(sa.select(Song).where(Song.album.is_not(None)).order_by(Song.id)).first()
        db.session.expunge(song)
        return song


def test_list_pages_through_the_whole_catalog(api, app, demo_songs):
    body = api("/songs").get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, demo_songs.inserted)
    assert body["pages"] == -(-demo_songs.inserted // 20) and len(body["items"]) == 20
    assert {"id", "title", "artist", "genre", "emotion", "explicit", "features", "tags"} <= set(
        body["items"][0]
    )
    second = api("/songs", page=2, per_page=7).get_json()
    both = api("/songs", per_page=14).get_json()
    assert [s["id"] for s in second["items"]] == [s["id"] for s in both["items"][7:]]
    assert api("/songs", page=999).get_json()["items"] == []


def test_search_matches_title_artist_and_album(api, app):
    song = first_song(app)
    for text in (song.title, song.artist.upper(), song.album):
        items = api("/songs", q=text, per_page=100).get_json()["items"]
        assert song.id in [s["id"] for s in items]
        for item in items:
            assert (
                text.lower() in " ".join(filter(None, (item["title"], item["artist"], item["album"]))).lower()
            )
    assert api("/songs", q="zzzz-no-such-song").get_json()["total"] == 0


def test_filters_narrow_the_list(api, app):
    song = first_song(app)
    by_genre = api("/songs", genre=song.genre, per_page=100).get_json()
    assert by_genre["total"] > 0 and {s["genre"] for s in by_genre["items"]} == {song.genre}
    by_emotion = api("/songs", emotion=song.emotion, per_page=100).get_json()["items"]
    assert by_emotion and {s["emotion"] for s in by_emotion} == {song.emotion}
    clean, explicit = (
        api("/songs", explicit="false", per_page=100),
        api("/songs", explicit="true", per_page=100),
    )
    assert not any(s["explicit"] for s in clean.get_json()["items"])
    assert explicit.get_json()["total"] > 0 and all(s["explicit"] for s in explicit.get_json()["items"])
    assert clean.get_json()["total"] + explicit.get_json()["total"] == api("/songs").get_json()["total"]
    party = api("/songs", tag="party", per_page=100).get_json()
    assert 0 < party["total"] < api("/songs").get_json()["total"]
    assert all("party" in s["tags"] for s in party["items"])


@pytest.mark.parametrize(
    "sort, key, descending",
    [
        ("title", lambda s: s["title"], False),
        ("popularity", lambda s: s["popularity"] or -1, True),
        ("newest", lambda s: s["release_year"] or -1, True),
    ],
)
def test_sorts(api, sort, key, descending):
    items = api("/songs", sort=sort, per_page=100).get_json()["items"]
    values = [key(s) for s in items]
    assert values == sorted(values, reverse=descending)


@pytest.mark.parametrize(
    "query, word",
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": "abc"}, "page"),
        ({"page": 0}, "page"),
        ({"sort": "loudest"}, "sort"),
        ({"explicit": "maybe"}, "explicit"),
        ({"emotion": "bored"}, "emotion"),
        ({"per_page": ["5", "5"]}, "given once"),
        ({"page": "1_0"}, "page"),
        ({"page": "\u0667"}, "page"),  # an Arabic-Indic seven: int() would read it
    ],
)
def test_bad_parameters_are_400(api, query, word):
    assert_json_error(api("/songs", **query), 400, word)


def test_one_song_with_the_callers_state(api, app, user):
    song = first_song(app)
    body = api(f"/songs/{song.id}").get_json()
    assert body["id"] == song.id and body["title"] == song.title
    assert body["state"]["liked"] is False and body["state"]["play_count"] == 0
    with app.app_context():
        record_activity(user, song.id, "like")
        record_activity(user, song.id, "play")
    state = api(f"/songs/{song.id}").get_json()["state"]
    assert (state["liked"], state["play_count"]) == (True, 1) and state["last_played_at"]
    assert_json_error(api("/songs/999999"), 404, "999999")


def test_similar_passes_k_song_and_caller_to_the_service(api, app, user, fake_recommender):
    song = first_song(app)
    body = api(f"/songs/{song.id}/similar", k=5).get_json()
    assert body["song_id"] == song.id and len(body["items"]) == 5
    assert fake_recommender.calls == [("similar_songs", song.id, 5, user)]
    fake_recommender.degraded = True
    degraded = api(f"/songs/{song.id}/similar")
    assert degraded.status_code == 200 and degraded.get_json()["degraded"] is True
    assert fake_recommender.calls[-1][2] == 10


@pytest.mark.parametrize("k", ["0", "101", "ten"])
def test_similar_refuses_bad_k(api, app, k):
    assert_json_error(api(f"/songs/{first_song(app).id}/similar", k=k), 400, "k")


def test_similar_for_an_unknown_song_is_404(api):
    assert_json_error(api("/songs/999999/similar"), 404)


def test_similar_with_the_real_service(api, app):
    from app.services.indexing.song_vectors import embed_songs

    with app.app_context():
        embed_songs()
    song = first_song(app)
    body = api(f"/songs/{song.id}/similar", k=5).get_json()
    assert body["song_id"] == song.id and 0 < len(body["items"]) <= 5
    assert song.id not in [item["song"]["id"] for item in body["items"]]
    assert all(item["reason"] and isinstance(item["score"], float) for item in body["items"])
