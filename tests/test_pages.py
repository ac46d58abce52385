"""The song list, the song page and the profile page."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Song, User
from app.services.activity import record_activity

from .conftest import csrf_token


def titles_on(html):
    return re.findall(r'<h3><a href="/songs/\d+">([^<]+)</a></h3>', html)


def test_song_list_pages_and_keeps_filters(client, auth, demo_songs, app):
    auth.login()
    first = client.get("/songs/")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert len(titles_on(html)) == app.config["SONGS_PER_PAGE"]
    assert "Page 1 of" in html
    with app.app_context():
        genre = db.session.scalar(sa.select(Song.genre).group_by(Song.genre).order_by(sa.func.count().desc()))
        in_genre = db.session.scalar(sa.select(sa.func.count()).where(Song.genre == genre))
    filtered = client.get("/songs/", query_string={"genre": genre, "sort": "title"}).get_data(as_text=True)
    assert f"Browse {in_genre} songs" in filtered
    shown = titles_on(filtered)
    assert shown and shown == sorted(shown)
    next_link = re.search(r'<a rel="next" href="([^"]+)"', filtered)
    if in_genre > app.config["SONGS_PER_PAGE"]:
        assert next_link and "genre=" in next_link.group(1) and "sort=title" in next_link.group(1)


def test_song_search_matches_title_and_artist(client, auth, demo_songs, app):
    auth.login()
    with app.app_context():
        song = db.session.scalars(sa.select(Song).order_by(Song.id)).first()
    html = client.get("/songs/", query_string={"q": song.title}).get_data(as_text=True)
    assert song.title in titles_on(html).__str__()
    by_artist = client.get("/songs/", query_string={"q": song.artist}).get_data(as_text=True)
    assert song.artist in by_artist
    none = client.get("/songs/", query_string={"q": "zzzz-no-such-song"}).get_data(as_text=True)
    assert "No songs match" in none


def test_bad_query_values_are_400(client, auth):
    auth.login()
    assert client.get("/songs/?page=abc").status_code == 400
    assert client.get("/songs/?page=0").status_code == 400
    response = client.get("/songs/?sort=loudest")
    assert response.status_code == 400 and b"sort must be one of" in response.data


def test_song_page_shows_details_and_the_users_state(client, auth, demo_songs, app, user):
    auth.login()
    with app.app_context():
        song = db.session.scalars(sa.select(Song).order_by(Song.id)).first()
        record_activity(user, song.id, "play")
        record_activity(user, song.id, "rate", 4)
        song_id, title = song.id, song.title
    html = client.get(f"/songs/{song_id}").get_data(as_text=True)
    assert title in html
    assert "You played this 1 time" in html and "rated 4/5" in html
    assert client.get("/songs/999999").status_code == 404


def test_profile_saves_preferences(client, auth, app):
    auth.login()
    token = csrf_token(client, "/profile/")
    response = client.post(
        "/profile/",
        data={"age": "31", "bio": "Night drives.", "emotions": ["joy", "fear"], "tags": ["driving", "party"], "csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        assert (alice.age, alice.bio, alice.emotions, alice.tags) == (31, "Night drives.", ["joy", "fear"], ["driving", "party"])
    page = client.get("/profile/").get_data(as_text=True)
    checked = set(re.findall(r'<input checked id="[^"]+" name="(?:emotions|tags)" type="checkbox" value="([^"]+)"', page))
    assert checked == {"joy", "fear", "driving", "party"}


def test_profile_rejects_bad_values_with_400_and_changes_nothing(client, auth, app):
    auth.login()
    token = csrf_token(client, "/profile/")
    for data in ({"age": "old"}, {"age": "7"}, {"emotions": ["boredom"]}, {"tags": ["not-a-tag"]}):
        response = client.post("/profile/", data={**data, "csrf_token": token})
        assert response.status_code == 400, data
        assert b'class="errors"' in response.data
    with app.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        assert (alice.age, alice.emotions, alice.tags) == (None, [], [])


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and b"Not found" in response.data
    api = client.get("/nowhere", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json["status"] == 404
