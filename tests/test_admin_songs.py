"""Admins add, edit and delete songs (API and pages); every change reaches the vector index."""

import numpy as np
import pytest
import sqlalchemy as sa

from app.extensions import db, embedder, vector_store
from app.models import ActivityEvent, Song, SongVector, UserSong, UserVector, from_blob
from app.services.accounts import users
from app.services.activity.events import record_activity
from app.services.indexing.song_vectors import embed_songs
from app.services.indexing.sync import index_status
from app.services.recommendations.lists import recommend_for, similar_songs
from app.vectors.schema import SONGS

from .admin_support import (  # noqa: F401
    admin,
    admin_headers,
    audit_actions,
    break_the_store,
    indexed,
    song_row,
    store_ids,
)
from .api_support import assert_json_error, song_ids


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _api_ids(client, headers, **params):
    response = client.get("/api/v1/songs", query_string={"per_page": 100, **params}, headers=headers)
    assert response.status_code == 200
    return {song["id"] for song in response.get_json()["items"]}


def test_create_indexes_the_song_with_its_payload(client, app, indexed, admin_headers):
    body = {
        "title": "Harbour Lights",
        "artist": "The Keepers",
        "genres": ["Sea Shanty", "folk"],
        "emotion": "joy",
        "popularity": 64,
        "energy": 0.7,
        "good_for_party": True,
        "key": 2,
        "mode": 0,
    }
    response = client.post("/api/v1/songs", json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    song = created["song"]
    assert created["index"] == "ok"
    assert (song["genre"], song["genres"], song["key"], song["tags"]) == (
        "sea shanty",
        ["sea shanty", "folk"],
        "D minor",
        ["party"],
    )
    assert store_ids(app, {"genre": "sea shanty"}) == {song["id"]}
    assert song["id"] in store_ids(app, {"good_for_party": True, "popularity": 64})
    again = client.post("/api/v1/songs", json=body, headers=admin_headers)
    assert_json_error(again, 409, "exists")
    assert audit_actions(app) == [("song.create", "api", song["id"])]


def test_editing_the_genre_changes_what_genre_filters_return(client, app, indexed, admin_headers):
    song_id = song_ids(app, 1)[0]
    old_genre = song_row(app, song_id)["genre"]
    assert song_id in store_ids(app, {"genre": old_genre})
    response = client.patch(
        f"/api/v1/songs/{song_id}", json={"genres": ["Zydeco", "blues"]}, headers=admin_headers
    )
    assert response.status_code == 200 and response.get_json()["index"] == "ok"
    assert response.get_json()["changed"] == ["genre", "genres"]
    assert store_ids(app, {"genre": "zydeco"}) == {song_id}
    assert song_id not in store_ids(app, {"genre": old_genre})
    assert _api_ids(client, admin_headers, genre="zydeco") == {song_id}
    assert song_id not in _api_ids(client, admin_headers, genre=old_genre)
    with app.app_context():  # the genres are part of the embedded text: the stored hash follows
        assert index_status()["songs"]["stale"] == 0


def test_a_payload_only_edit_rewrites_the_point_without_the_model(client, app, indexed, admin_headers):
    model = embedder(app)
    song_id = song_ids(app, 1)[0]
    encoded = len(model.encoded)
    response = client.patch(
        f"/api/v1/songs/{song_id}", json={"popularity": 99, "explicit": True}, headers=admin_headers
    )
    assert response.status_code == 200 and response.get_json()["index"] == "ok"
    assert len(model.encoded) == encoded
    assert song_id in store_ids(app, {"popularity": 99, "explicit": True})
    assert audit_actions(app) == [("song.update", "api", song_id)]


INVALID = [
    ({"energy": 1.5}, "energy", "from 0 to 1"),
    ({"energy": "0.5"}, "energy", "number"),
    ({"popularity": 101}, "popularity", "0 to 100"),
    ({"popularity": 50.5}, "popularity", "whole number"),
    ({"tempo": -1}, "tempo", "0 to 400"),
    ({"loudness": 25}, "loudness", "-100 to 20"),
    ({"key": 12}, "key", "0 to 11"),
    ({"mode": 2}, "mode", "0 to 1"),
    ({"emotion": "bored"}, "emotion", "joy"),
    ({"explicit": "yes"}, "explicit", "true, false"),
    ({"good_for_party": 1}, "good_for_party", "true, false"),
    ({"genres": "rock"}, "genres", "list"),
    ({"title": "  "}, "title", "required"),
    ({"artist": None}, "artist", "required"),
    ({"release_date": "yesterday"}, "release_date", "YYYY-MM-DD"),
    ({"genre": "rock"}, "genre", "genres"),
    ({"similar_songs": []}, "similar_songs", "not a field"),
]


@pytest.mark.parametrize("payload, field, words", INVALID)
def test_invalid_edits_name_the_field_and_change_nothing(
    client, app, indexed, admin_headers, payload, field, words
):
    song_id = song_ids(app, 1)[0]
    before = song_row(app, song_id)
    # A valid field beside the bad one: it must not be applied either.
    body = payload if "popularity" in payload else {**payload, "popularity": 3}
    response = client.patch(f"/api/v1/songs/{song_id}", json=body, headers=admin_headers)
    body = assert_json_error(response, 400, "invalid")
    assert field in body["fields"] and words.lower() in body["fields"][field].lower(), body["fields"]
    assert song_row(app, song_id) == before
    assert audit_actions(app) == []


def test_invalid_new_songs_list_every_bad_field_and_add_nothing(client, app, indexed, admin_headers):
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Song))
    response = client.post("/api/v1/songs", json={"energy": 7, "mode": "major"}, headers=admin_headers)
    body = assert_json_error(response, 400)
    assert set(body["fields"]) == {"title", "artist", "energy", "mode"}
    assert_json_error(client.post("/api/v1/songs", json=["title"], headers=admin_headers), 400, "JSON object")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Song)) == count
    assert audit_actions(app) == []


def test_deleting_a_song_removes_it_everywhere(client, app, indexed, admin, admin_headers):
    with app.app_context():
        original = db.session.scalars(sa.select(Song).order_by(Song.id)).first()
        twin = {
            "title": original.title + " (Live)",
            "artist": original.artist,
            "album": original.album,
            "genres": list(original.genres),
            "emotion": original.emotion,
            "lyrics": original.lyrics,
            "popularity": 100,
        }
        original_id = original.id
    twin_id = client.post("/api/v1/songs", json=twin, headers=admin_headers).get_json()["song"]["id"]
    with app.app_context():
        bob = users.register_user("bob", "long enough pw")
        carol = users.register_user("carol", "long enough pw")
        record_activity(bob.id, original_id, "like")
        record_activity(carol.id, twin_id, "like")
        record_activity(carol.id, twin_id, "play")
        assert db.session.get(UserVector, carol.id) is not None

        def everywhere():
            original = db.session.get(Song, original_id)
            return {
                "content": twin_id in {i["song"]["id"] for i in recommend_for(bob, "content", k=10)["items"]},
                "popular": twin_id in {i["song"]["id"] for i in recommend_for(bob, "popular", k=10)["items"]},
                "similar": twin_id in {i["song"]["id"] for i in similar_songs(original)["items"]},
                "index": twin_id in vector_store().ids(SONGS),
            }

        assert everywhere() == {"content": True, "popular": True, "similar": True, "index": True}
        bob_id, carol_id = bob.id, carol.id
    assert twin_id in _api_ids(client, admin_headers, q="(Live)")

    response = client.delete(f"/api/v1/songs/{twin_id}", headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json() == {"deleted": twin_id, "index": "ok", "users_updated": 1}
    assert_json_error(client.get(f"/api/v1/songs/{twin_id}", headers=admin_headers), 404)
    assert twin_id not in _api_ids(client, admin_headers, q="(Live)")
    with app.app_context():
        bob = db.session.get(users.User, bob_id)
        assert everywhere() == {"content": False, "popular": False, "similar": False, "index": False}
        for model in (ActivityEvent, UserSong, SongVector):
            assert _count(model, model.song_id == twin_id) == 0
        # carol liked only that song and stated no preferences: she has no taste vector left.
        assert db.session.get(UserVector, carol_id) is None
        assert carol_id not in vector_store().ids("users")
        assert _count(UserSong, UserSong.user_id == bob_id) == 1
    actions = audit_actions(app)
    assert actions == [("song.create", "api", twin_id), ("song.delete", "api", twin_id)]


def test_edits_commit_and_wait_for_sync_when_the_store_fails(
    client, app, runner, indexed, admin_headers, monkeypatch
):
    first, second, third = song_ids(app, 3)
    break_the_store(app, monkeypatch)
    text = client.patch(f"/api/v1/songs/{first}", json={"title": "Renamed While Down"}, headers=admin_headers)
    payload = client.patch(f"/api/v1/songs/{second}", json={"popularity": 1}, headers=admin_headers)
    gone = client.delete(f"/api/v1/songs/{third}", headers=admin_headers)
    assert [r.status_code for r in (text, payload, gone)] == [200, 200, 200]
    assert [r.get_json()["index"] for r in (text, payload, gone)] == ["pending"] * 3
    assert song_row(app, first)["title"] == "Renamed While Down" and song_row(app, second)["popularity"] == 1
    assert song_row(app, third) is None
    with app.app_context():
        status = index_status()
        assert status["songs"]["stale"] == 2
        assert status["songs"]["points"] == status["songs"]["sql"] + 1  # the deleted song's orphan point
    assert [a for a, _, _ in audit_actions(app)] == ["song.update", "song.update", "song.delete"]

    monkeypatch.undo()
    synced = runner.invoke(args=["vectors", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "1 orphans removed" in synced.output and "1 embedded" in synced.output
    with app.app_context():
        status = index_status()
        assert status["songs"]["stale"] == 0 and status["songs"]["points"] == status["songs"]["sql"]
    assert first in store_ids(app, {"popularity": song_row(app, first)["popularity"] or 0})
    assert second in store_ids(app, {"popularity": 1})


def test_the_next_edit_repairs_a_song_the_store_missed(client, app, indexed, admin_headers, monkeypatch):
    song_id = song_ids(app, 1)[0]
    break_the_store(app, monkeypatch)
    response = client.patch(f"/api/v1/songs/{song_id}", json={"lyrics": "new words"}, headers=admin_headers)
    assert response.get_json()["index"] == "pending"
    monkeypatch.undo()
    repaired = client.patch(f"/api/v1/songs/{song_id}", json={}, headers=admin_headers)
    assert repaired.get_json() | {"song": None} == {"song": None, "index": "ok", "changed": []}
    with app.app_context():
        assert index_status()["songs"]["stale"] == 0


def test_editing_lyrics_changes_the_vector_with_the_real_model(client, app, admin_headers):
    from app.embeddings import shared_embedder
    from app.services.catalog.imports import import_spotify_csv

    from .conftest import DEMO_CATALOG

    model = shared_embedder("cpu")
    embedder.override(app, model)
    with app.app_context():
        import_spotify_csv(DEMO_CATALOG, limit=6)
        embed_songs()
        song_id = db.session.scalar(sa.select(Song.id).order_by(Song.id))
        (before,) = vector_store().retrieve(SONGS, [song_id]).values()
    lyrics = "Salt wind in the sails, the harbour lights fade, we ride the grey waves out to the open sea"
    response = client.patch(f"/api/v1/songs/{song_id}", json={"lyrics": lyrics}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json() | {"song": None} == {
        "song": None,
        "index": "ok",
        "changed": ["lyrics"],
    }
    with app.app_context():
        (after,) = vector_store().retrieve(SONGS, [song_id]).values()
        stored = from_blob(db.session.get(SongVector, song_id).vector)
        query = model.encode(["a song about sailing on the sea"])[0]
    before, after = np.asarray(before), np.asarray(after)
    assert float(before @ after) < 0.98  # a different vector, not a rounding difference
    assert np.allclose(after, stored, atol=1e-6)  # SQL keeps what the index holds
    assert float(query @ after) > float(query @ before) + 0.05
