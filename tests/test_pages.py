"""Every page and partial, server side: login, templates, htmx partials versus full pages."""

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import template_rendered

from app.extensions import db, vector_store
from app.models import Song, User, UserSong
from app.services.accounts import users
from app.vectors import VectorStoreError

from .conftest import csrf_token

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/recommendations/"}
PAGES = [
    "/songs/",
    "/songs/1",
    "/library/",
    "/library/rated",
    "/recommendations/",
    "/recommendations/content",
    "/profile/",
]


@contextmanager
def templates_used(app):
    used = []

    def record(sender, template, context, **extra):
        used.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield used
    finally:
        template_rendered.disconnect(record, app)


def titles_on(html):
    return re.findall(r'<h3><a href="/songs/\d+">([^<]+)</a></h3>', html)


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")


def test_home_goes_to_recommendations_or_login(client, auth):
    assert client.get("/").headers["Location"] == "/auth/login"
    auth.login()
    assert client.get("/").headers["Location"] == "/recommendations/"


def test_browse_full_page_and_htmx_partial(site, app):
    with templates_used(app) as used:
        page = site.get("/songs/")
    assert page.status_code == 200 and used[0] == "songs/index.html"
    html = page.get_data(as_text=True)
    assert "<html" in html and len(titles_on(html)) == app.config["SONGS_PER_PAGE"]
    assert 'hx-trigger="input changed delay:300ms' in html
    with templates_used(app) as used:
        partial = site.get("/songs/?q=love", headers=HTMX)
    assert used[0] == "songs/_results.html"
    body = partial.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="results"')


def test_browse_filters_combine_and_paging_keeps_them(site, app):
    with app.app_context():
        expected = db.session.scalar(
            sa.select(sa.func.count()).where(
                Song.emotion == "joy", Song.good_for_party.is_(True), sa.not_(Song.explicit.is_(True))
            )
        )
    html = site.get("/songs/?emotion=joy&tag=party&explicit=hide&sort=title").get_data(as_text=True)
    assert f"{expected} song" in html
    shown = titles_on(html)
    assert shown == sorted(shown)
    with app.app_context():
        for title in shown:
            song = db.session.scalar(sa.select(Song).where(Song.title == title).limit(1))
            assert song.emotion == "joy"
    link = re.search(r'<a rel="next" href="([^"]+)"', html)
    if expected > app.config["SONGS_PER_PAGE"]:
        assert link and all(p in link.group(1) for p in ("emotion=joy", "tag=party", "explicit=hide"))


@pytest.mark.parametrize("query", ["page=x", "page=0", "sort=loudest", "emotion=boredom", "explicit=maybe"])
def test_browse_rejects_bad_values(site, query):
    response = site.get(f"/songs/?{query}")
    assert response.status_code == 400 and b"Bad request" in response.data


def test_song_page_shows_details_chart_lyrics_and_more_like_this(site, app):
    with app.app_context():
        song = db.session.scalar(sa.select(Song).where(Song.lyrics.is_not(None)).order_by(Song.id))
    with templates_used(app) as used:
        html = site.get(f"/songs/{song.id}").get_data(as_text=True)
    assert used[0] == "songs/show.html"
    assert song.title in html and "<svg" in html and "Audio features of" in html
    assert "<details>" in html or song.lyrics.split()[0] in html
    more = html.split("More like this")[1]
    assert len(titles_on(more)) == 6 and f'id="song-{song.id}"' not in more
    assert "Same " in more or "Sounds close" in more
    assert site.get("/songs/999999").status_code == 404


def action(client, song_id, headers=None, **data):
    token = csrf_token(client, f"/songs/{song_id}")
    return client.post(f"/songs/{song_id}/act", data={"csrf_token": token, **data}, headers=headers or {})


def test_htmx_like_returns_the_button_partial_and_records_it(site, app, user):
    token = csrf_token(site, "/songs/1")
    with templates_used(app) as used:
        response = site.post("/songs/1/act", data={"csrf_token": token, "action": "like"}, headers=HTMX)
    assert response.status_code == 200 and used == ["songs/_actions.html"]
    assert response.headers["HX-Trigger"] == "activity-changed"
    body = response.get_data(as_text=True)
    assert 'value="unlike" class="btn btn-like" aria-pressed="true"' in body and "<html" not in body
    rated = action(site, 1, HTMX, action="rate", value="4").get_data(as_text=True)
    assert rated.count('class="star on"') == 4
    with app.app_context():
        state = db.session.get(UserSong, (user, 1))
        assert state.liked and state.rating == 4


def test_actions_work_without_javascript(site, app, user):
    response = action(site, 2, action="bookmark", next="/library/bookmarked")
    # Back to the card (issue 13), not the top of the page.
    assert response.status_code == 302 and response.headers["Location"] == "/library/bookmarked#song-2"
    evil = action(site, 2, action="like", next="https://evil.example/")
    assert evil.headers["Location"] == "/songs/2#song-2"
    played = action(site, 2, action="play", next="https://evil.example/")  # Play leads to the player
    assert played.headers["Location"] == "/songs/2?listen=1#listen"
    with app.app_context():
        state = db.session.get(UserSong, (user, 2))
        assert state.bookmarked and state.play_count == 1


@pytest.mark.parametrize(
    "data", [{"action": "hug"}, {"action": "rate", "value": "6"}, {"action": "rate", "value": "x"}]
)
def test_bad_actions_are_400_and_change_nothing(site, app, user, data):
    response = action(site, 3, HTMX, **data)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(UserSong, (user, 3)) is None


def test_actions_need_a_csrf_token(site):
    assert site.post("/songs/1/act", data={"action": "like"}, headers=HTMX).status_code == 400


def test_library_sections_and_partial(site, app):
    action(site, 5, HTMX, action="like")
    action(site, 6, HTMX, action="rate", value="5")
    with templates_used(app) as used:
        html = site.get("/library/").get_data(as_text=True)
    assert used[0] == "library/index.html" and len(titles_on(html)) == 1
    with templates_used(app) as used:
        rated = site.get("/library/rated", headers=HTMX).get_data(as_text=True)
    assert used[0] == "library/_section.html" and "<html" not in rated and len(titles_on(rated)) == 1
    assert 'hx-trigger="activity-changed from:body"' in rated
    assert site.get("/library/bookmarked").status_code == 200
    assert "Nothing here yet" in site.get("/library/bookmarked").get_data(as_text=True)
    assert site.get("/library/nope").status_code == 404


@pytest.mark.parametrize("approach", ["for_you", "content", "collaborative", "knowledge"])
def test_recommendation_tabs_show_reasons(site, app, approach):
    path = "/recommendations/" if approach == "for_you" else f"/recommendations/{approach}"
    with templates_used(app) as used:
        html = site.get(path).get_data(as_text=True)
    assert used[0] == "recommendations/index.html"
    assert 'aria-current="page">' in html
    if approach != "collaborative":  # alice has no listening neighbours yet
        assert re.search(r'<p class="reason">[^<]+</p>', html)
    with templates_used(app) as used:
        partial = site.get(path, headers=HTMX).get_data(as_text=True)
    assert used[0] == "recommendations/_list.html" and "<html" not in partial


def test_disliking_on_the_recommendations_page_removes_the_song(site):
    html = site.get("/recommendations/content", headers=HTMX).get_data(as_text=True)
    first = int(re.search(r'<article class="song-card" id="song-(\d+)"', html).group(1))
    action(site, first, HTMX, action="dislike")
    again = site.get("/recommendations/content", headers=HTMX).get_data(as_text=True)
    assert f'id="song-{first}"' not in again


def test_new_user_sees_an_empty_state_pointing_to_the_profile(client, app, demo_songs):
    with app.app_context():
        users.register_user("newcomer", "long-password")
    from .conftest import AuthActions

    AuthActions(client).login("newcomer", "long-password")
    html = client.get("/recommendations/knowledge").get_data(as_text=True)
    assert "We don't know your taste yet." in html and 'href="/profile/"' in html


def test_degraded_banner_when_the_vector_store_is_down(site, app, monkeypatch):
    with app.app_context():
        store = vector_store()

    def down(*args, **kwargs):
        raise VectorStoreError("down")

    monkeypatch.setattr(store, "search", down)
    monkeypatch.setattr(store, "search_batch", down)  # the engines' searches go through it
    html = site.get("/recommendations/content").get_data(as_text=True)
    assert "Personal recommendations are unavailable right now" in html
    assert len(titles_on(html)) > 0


def test_profile_saves_chips_and_recomputes_recommendations(site, app):
    before = site.get("/recommendations/knowledge").get_data(as_text=True)
    token = csrf_token(site, "/profile/")
    response = site.post(
        "/profile/",
        data={"age": "31", "bio": "Gym", "emotions": ["anger"], "tags": ["exercise"], "csrf_token": token},
    )
    assert response.status_code == 302
    after = site.get("/recommendations/knowledge").get_data(as_text=True)
    assert "anger" in after and after != before
    page = site.get("/profile/").get_data(as_text=True)
    checked = set(
        re.findall(
            r'<input checked id="[^"]+" name="(?:emotions|tags)" type="checkbox" value="([^"]+)"', page
        )
    )
    assert checked == {"anger", "exercise"}


def test_profile_rejects_bad_values_with_400_and_changes_nothing(site, app):
    token = csrf_token(site, "/profile/")
    for data in ({"age": "old"}, {"age": "7"}, {"emotions": ["boredom"]}, {"tags": ["not-a-tag"]}):
        response = site.post("/profile/", data={**data, "csrf_token": token})
        assert response.status_code == 400, data
        assert b'class="errors"' in response.data
    with app.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        assert (alice.age, alice.emotions) == (30, ["joy"])


def test_api_tokens_from_the_profile_page(site):
    token = csrf_token(site, "/profile/")
    created = site.post("/profile/tokens", data={"name": "laptop", "csrf_token": token})
    html = created.get_data(as_text=True)
    plaintext = re.search(r'<code class="token" id="new-token">([^<]+)</code>', html).group(1)
    assert created.status_code == 200 and "shown only once" in html
    me = site.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.status_code == 200 and me.json["username"] == "alice"
    listing = site.get("/profile/").get_data(as_text=True)
    assert "laptop" in listing and plaintext not in listing  # never shown again
    token_id = re.search(r"/profile/tokens/(\d+)/revoke", listing).group(1)
    revoked = site.post(f"/profile/tokens/{token_id}/revoke", data={"csrf_token": token, "confirm": "yes"})
    assert revoked.status_code == 302
    assert site.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401
    assert site.post("/profile/tokens", data={"name": "", "csrf_token": token}).status_code == 400


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and b"Not found" in response.data and b"<html" in response.data
