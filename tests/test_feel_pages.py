"""Issue 13, server side: listening, feedback with undo, Popular and Show more, cards, pagers, layout."""

import csv
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ActivityEvent, Song, User, UserSong
from app.security_headers import SPOTIFY_FRAMES, content_security_policy
from app.services.activity.events import record_activity, revert_activity
from app.songs.listening import SPOTIFY_EMBED

from .conftest import csrf_token

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/recommendations/content"}
TRACK_ID = "4uLU6hMCjMI75M1A2tKUQC"
TRACKS_HEADER = [
    "",
    "track_id",
    "artists",
    "album_name",
    "track_name",
    "popularity",
    "duration_ms",
    "explicit",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
    "track_genre",
]


def card_ids(html):
    return [int(i) for i in re.findall(r'<article class="song-card" id="song-(\d+)"', html)]


@pytest.fixture
def track_song(app, tmp_path, demo_songs):
    """A song imported from the tracks schema, which carries a Spotify track id; returns its id."""
    path = tmp_path / "tracks.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(TRACKS_HEADER)
        writer.writerow(
            [
                "0",
                TRACK_ID,
                "Daft Punk",
                "Discovery",
                "One More Time",
                "77",
                "320357",
                "False",
                "0.61",
                "0.69",
                "2",
                "-8.6",
                "1",
                "0.13",
                "0.02",
                "0.0",
                "0.33",
                "0.47",
                "122.7",
                "4",
                "house",
            ]
        )
    from app.services.catalog.imports import import_spotify_csv

    with app.app_context():
        import_spotify_csv(path)
        return db.session.scalar(sa.select(Song.id).where(Song.source_track_id == TRACK_ID))


def post(client, url, headers=None, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/songs/"), **data}, headers=headers or {})


def state(app, song_id, username="alice"):
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        return db.session.get(UserSong, (user_id, song_id))


# --- Listening -------------------------------------------------------------------------------------


def test_the_csp_frames_only_spotifys_embed_player():
    policy = dict(
        part.split(" ", 1) for part in content_security_policy("/static/vendor/htmx.min.js").split("; ")
    )
    assert policy["frame-src"] == "https://open.spotify.com/embed/" == SPOTIFY_FRAMES
    assert SPOTIFY_EMBED.startswith(SPOTIFY_FRAMES)  # the frame the song page loads is the one allowed
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "*" not in policy["frame-src"] and " " not in policy["frame-src"]


def test_a_tracks_song_plays_in_spotifys_frame_and_the_play_is_recorded(site, app, track_song):
    page = site.get(f"/songs/{track_song}").get_data(as_text=True)
    assert "<iframe" not in page  # Spotify hears of the page only after Play
    assert f'href="https://open.spotify.com/track/{TRACK_ID}"' in page and "Open in Spotify" in page
    assert 'name="part" value="listen"' in page
    response = post(site, f"/songs/{track_song}/act", HTMX, action="play", part="listen")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and f'src="https://open.spotify.com/embed/track/{TRACK_ID}"' in body
    assert 'id="listen"' in body and state(app, track_song).play_count == 1
    # Without JavaScript: Play redirects to the page with the player loaded.
    plain = post(site, f"/songs/{track_song}/act", action="play", part="listen")
    assert plain.headers["Location"] == f"/songs/{track_song}?listen=1#listen"
    loaded = site.get(f"/songs/{track_song}?listen=1").get_data(as_text=True)
    assert f'src="https://open.spotify.com/embed/track/{TRACK_ID}"' in loaded
    assert state(app, track_song).play_count == 2


def test_play_on_a_card_fills_the_player_bar(site, track_song):
    body = post(site, f"/songs/{track_song}/act", HTMX, action="play").get_data(as_text=True)
    bar = body.split('<aside id="player-bar" hx-swap-oob="innerHTML">')[1]
    assert f"embed/track/{TRACK_ID}" in bar and 'data-dismiss="player-bar"' in bar
    assert 'class="actions"' in body.split("<aside")[0]  # and the card's row, as before


def test_a_song_without_an_id_gets_search_links_and_a_labelled_sketch(site, app):
    with app.app_context():
        song = db.session.scalar(sa.select(Song).where(Song.artist.contains(" ")).order_by(Song.id))
        song_id, artist, title, key = song.id, song.artist, song.title, song.key
    page = site.get(f"/songs/{song_id}").get_data(as_text=True)
    assert "<iframe" not in page and "Open in Spotify" not in page
    terms = re.search(r'href="https://www\.youtube\.com/results\?search_query=([^"]+)"', page).group(1)
    assert " " not in terms and "%20" in terms
    from urllib.parse import unquote

    assert unquote(terms.replace("&amp;", "&")) == f"{artist} {title}"
    assert 'href="https://open.spotify.com/search/' in page and "Find on YouTube" in page
    button = re.search(r"<button[^>]*data-sketch[^>]*>", page).group()
    assert f'data-key="{key}"' in button and "data-tempo=" in button and "data-energy=" in button
    assert "data-autoplay" not in button
    assert "not the recording" in page and "A sketch of this song" in page


def test_play_of_a_demo_song_starts_its_sketch_in_the_bar(site):
    body = post(site, "/songs/3/act", HTMX, action="play").get_data(as_text=True)
    bar = body.split('<aside id="player-bar"')[1]
    assert "data-sketch" in bar and "data-autoplay" in bar and "not the recording" in bar


# --- Feedback and undo -----------------------------------------------------------------------------


def test_pressed_buttons_say_liked_and_saved_and_a_toast_offers_undo(site, app):
    liked = post(site, "/songs/1/act", HTMX, action="like").get_data(as_text=True)
    assert re.search(r'aria-pressed="true"><span aria-hidden="true">♥</span> Liked<', liked)
    toast = liked.split('<div id="toasts" hx-swap-oob="innerHTML">')[1]
    assert (
        "Liked “" in toast and 'action="/songs/1/undo"' in toast and 'name="action" value="unlike"' in toast
    )
    saved = post(site, "/songs/1/act", HTMX, action="bookmark").get_data(as_text=True)
    assert "> Saved<" in saved and 'value="unbookmark"' in saved.split('id="toasts"')[1]
    rated = post(site, "/songs/1/act", HTMX, action="rate", value="3").get_data(as_text=True)
    assert "3 of 5" in rated.split('id="toasts"')[1] and 'value="unrate"' in rated.split('id="toasts"')[1]
    # Disliking a liked song: its undo likes it again.
    disliked = post(site, "/songs/1/act", HTMX, action="dislike").get_data(as_text=True)
    assert 'name="action" value="like"' in disliked.split('id="toasts"')[1]
    post(site, "/songs/1/undo", HTMX, action="like")
    assert state(app, 1).liked and not state(app, 1).disliked


def test_undo_brings_a_disliked_card_back_to_its_list(site, app):
    before = card_ids(site.get("/recommendations/content", headers=HTMX).get_data(as_text=True))
    first = before[0]
    post(site, f"/songs/{first}/act", HTMX, action="dislike")
    assert first not in card_ids(site.get("/recommendations/content", headers=HTMX).get_data(as_text=True))
    undone = post(site, f"/songs/{first}/undo", HTMX, action="undislike")
    body = undone.get_data(as_text=True)
    assert undone.status_code == 200 and undone.headers["HX-Trigger"] == "activity-changed"
    assert "Undone" in body and f"hx-swap-oob=\"outerHTML:.actions[data-song='{first}']\"" in body
    assert state(app, first) is None  # nothing left: the song is no longer in the library
    after = card_ids(site.get("/recommendations/content", headers=HTMX).get_data(as_text=True))
    assert first in after
    with app.app_context():  # the log keeps both events
        kinds = db.session.scalars(sa.select(ActivityEvent.kind).where(ActivityEvent.song_id == first)).all()
    assert kinds[-2:] == ["dislike", "undislike"]


def test_a_first_rating_can_be_undone_and_brings_the_card_back(site, app):
    before = card_ids(site.get("/recommendations/content", headers=HTMX).get_data(as_text=True))
    first = before[0]
    rated = post(site, f"/songs/{first}/act", HTMX, action="rate", value="4").get_data(as_text=True)
    assert 'value="unrate"' in rated and "Undo" in rated
    assert first not in card_ids(site.get("/recommendations/content", headers=HTMX).get_data(as_text=True))
    assert post(site, f"/songs/{first}/undo", HTMX, action="unrate").status_code == 200
    assert state(app, first) is None
    assert first in card_ids(site.get("/recommendations/content", headers=HTMX).get_data(as_text=True))
    with app.app_context():
        kinds = db.session.scalars(sa.select(ActivityEvent.kind).where(ActivityEvent.song_id == first)).all()
    assert kinds[-2:] == ["rate", "unrate"]


def test_a_changed_rating_offers_no_undo_and_unrate_keeps_other_state(site, app, user):
    post(site, "/songs/9/act", HTMX, action="rate", value="2")
    again = post(site, "/songs/9/act", HTMX, action="rate", value="5").get_data(as_text=True)
    assert "Rated" in again and 'value="unrate"' not in again  # nothing to go back to but a rating
    with app.app_context():
        record_activity(user, 10, "play")
        record_activity(user, 10, "rate", 5)
        kept = revert_activity(user, 10, "unrate")
        assert kept is not None and kept.rating is None and kept.play_count == 1


def test_without_javascript_the_post_returns_to_the_card_with_an_undo_flash(site, app):
    response = post(site, "/songs/4/act", action="dislike", next="/songs/?q=a")
    assert response.headers["Location"] == "/songs/?q=a#song-4"
    page = site.get("/songs/?q=a").get_data(as_text=True)
    flash = re.search(r'<div class="flash flash-success flash-undo".*?</div>', page, re.DOTALL).group()
    assert 'action="/songs/4/undo"' in flash and 'value="undislike"' in flash and 'name="csrf_token"' in flash
    back = post(site, "/songs/4/undo", action="undislike", next="/songs/?q=a")
    assert back.headers["Location"] == "/songs/?q=a#song-4" and state(app, 4) is None


@pytest.mark.parametrize("data", [{"action": "play"}, {"action": "rate"}, {"action": ""}, {"action": "hug"}])
def test_undo_takes_only_restoring_events(site, app, data):
    assert post(site, "/songs/5/undo", HTMX, **data).status_code == 400
    assert state(app, 5) is None


def test_undo_and_act_need_csrf_and_login(site, client):
    assert site.post("/songs/5/undo", data={"action": "unlike"}, headers=HTMX).status_code == 400
    assert post(site, "/songs/5/act", HTMX, action="like", part="bar").status_code == 400
    assert post(site, "/songs/999999/undo", HTMX, action="unlike").status_code == 404


def test_revert_keeps_a_state_that_still_holds_something(app, user, demo_songs):
    with app.app_context():
        record_activity(user, 7, "play")
        record_activity(user, 7, "dislike")
        kept = revert_activity(user, 7, "undislike")
        assert kept is not None and kept.play_count == 1 and not kept.disliked
        assert revert_activity(user, 8, "undislike") is None  # never had a state: nothing stored
        assert db.session.get(UserSong, (user, 8)) is None
        with pytest.raises(
            ValueError,
            match=r"expected one of bookmark, dislike, like, unbookmark, undislike, unlike, unrate$",
        ):
            revert_activity(user, 7, "rate")  # the message names the restoring events, not the actions


def test_the_library_has_a_disliked_section_where_a_dislike_is_undone(site, app):
    post(site, "/songs/6/act", HTMX, action="dislike")
    page = site.get("/library/disliked").get_data(as_text=True)
    assert card_ids(page) == [6] and '>Disliked <span class="count">1</span>' in page
    assert re.search(
        r'value="undislike" class="btn btn-dislike" aria-pressed="true"><span aria-hidden="true">✕</span> Disliked',
        page,
    )
    post(site, "/songs/6/act", HTMX, action="undislike")
    assert card_ids(site.get("/library/disliked").get_data(as_text=True)) == []


# --- Tabs, Show more, cards, pagers ----------------------------------------------------------------


def test_the_popular_tab_lists_songs(site):
    page = site.get("/recommendations/popular").get_data(as_text=True)
    assert 'href="/recommendations/popular" aria-current="page">Popular</a>' in page
    assert len(card_ids(page)) == 12 and re.search(r'<p class="reason">[^<]+</p>', page)
    assert 'href="/recommendations/popular"' in site.get("/recommendations/").get_data(as_text=True)


def test_show_more_adds_the_next_songs_of_the_cached_list(site, app):
    page = site.get("/recommendations/popular").get_data(as_text=True)
    first = card_ids(page)
    link = re.search(r'hx-get="(/recommendations/popular\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "shown=24" in link and "after=12" in link
    more = site.get(link, headers=HTMX).get_data(as_text=True)
    added = card_ids(more)
    assert len(added) == 12 and not set(added) & set(first)
    assert '<input type="hidden" id="rec-shown" name="shown" value="24" hx-swap-oob="true">' in more
    assert "shown=36" in more  # the next "Show more"
    # Without JavaScript, the link opens the longer list; the list stops at 50.
    assert card_ids(site.get("/recommendations/popular?shown=24").get_data(as_text=True)) == first + added
    longest = site.get("/recommendations/popular?shown=50").get_data(as_text=True)
    assert len(card_ids(longest)) == 50 and "Show more" not in longest
    # The list reloads after an action with as many songs as were shown.
    reload = site.get("/recommendations/popular?shown=24", headers=HTMX).get_data(as_text=True)
    assert len(card_ids(reload)) == 24 and 'hx-include="#rec-shown"' in reload


@pytest.mark.parametrize(
    "query", ["shown=0", "shown=51", "shown=x", "shown=", "after=13", "shown=12&after=-1"]
)
def test_show_more_rejects_bad_counts(site, query):
    assert site.get(f"/recommendations/popular?{query}").status_code == 400


def test_cards_show_the_album_and_a_readable_explicit_badge(site, app):
    with app.app_context():
        explicit = db.session.scalar(
            sa.select(Song).where(Song.explicit.is_(True), Song.album.is_not(None)).order_by(Song.id)
        )
        song_id, album = explicit.id, explicit.album
    page = site.get(f"/songs/?explicit=only&q={explicit.title}").get_data(as_text=True)
    card = page.split(f'id="song-{song_id}"')[1].split("</article>")[0]
    assert f'<p class="album"><span class="sr-only">Album: </span>{album}</p>' in card
    assert '<span aria-hidden="true">E</span><span class="sr-only">Explicit</span>' in card
    assert '<p class="legend">' in page and "explicit lyrics" in page


def test_dataset_similar_songs_link_to_their_pages_when_in_the_catalog(site, app):
    with app.app_context():
        titles = {(s.artist, s.title): s.id for s in db.session.scalars(sa.select(Song))}
        for song in db.session.scalars(sa.select(Song).order_by(Song.id)):
            inside = [s for s in song.similar_songs if (s["artist"], s["title"]) in titles]
            outside = [s for s in song.similar_songs if (s["artist"], s["title"]) not in titles]
            if inside and outside:
                break
    page = site.get(f"/songs/{song.id}").get_data(as_text=True)
    similar = page.split('<ul class="similar">')[1].split("</ul>")[0]
    target = titles[(inside[0]["artist"], inside[0]["title"])]
    assert f'<a href="/songs/{target}">' in similar
    assert f"<li>{outside[0]['title']} · " in similar  # not in the catalog: plain text


def test_lists_have_numbered_pagers(site, app):
    page = site.get("/songs/?page=3&sort=title").get_data(as_text=True)
    pager = page.split('<nav class="pager" aria-label="Pages">')[1].split("</nav>")[0]
    assert re.search(
        r'<a aria-current="page" href="[^"]*page=3[^"]*"><span class="sr-only">Page </span>3</a>', pager
    )
    for n in (1, 2, 4, 5):
        assert re.search(
            rf'href="[^"]*page={n}&amp;sort=title"><span class="sr-only">Page </span>{n}<', pager
        ), n
    assert '<a rel="next" href=' in pager and '<a rel="prev" href=' in pager and "…" in pager


# --- Layout pieces ---------------------------------------------------------------------------------


def test_favicon_is_served_and_linked(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def test_login_says_what_songbird_is(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert re.search(r'<p class="tagline">Songbird [^<]+</p>', page)


def test_profile_groups_chips_under_moods_activities_and_genres(site):
    page = site.get("/profile/").get_data(as_text=True)
    groups = dict(re.findall(r"<legend>(\w+)</legend>(.*?)</fieldset>", page, re.DOTALL))
    assert list(groups) == ["Moods", "Activities", "Genres"]
    values = {name: set(re.findall(r'value="([^"]+)"', html)) for name, html in groups.items()}
    assert values["Moods"] == {"joy", "sadness", "anger", "fear", "love", "surprise"}
    assert {"party", "driving", "yoga"} <= values["Activities"] and not values["Activities"] & values[
        "Genres"
    ]
    assert values["Genres"] and "party" not in values["Genres"]
    assert 'checked id="tags-' in groups["Activities"]  # alice's saved tags stay checked
