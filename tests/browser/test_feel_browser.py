"""Issue 13 in a real browser (Debian's Chromium through Playwright): the app as deployed by default,
htmx from the pinned CDN URL, which these offline tests either serve from the committed copy or block.

Covers: toast and Undo restoring a disliked card, Show more, the Popular tab, the CDN blocked (htmx
from the fallback, a like in place), a tracks-schema song's Spotify frame, the sketch, the layout
at 1280 px and 390 px (screenshots under test-screenshots/), and axe-core on every page.
"""

import csv
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import create_app
from app.config import Config
from app.extensions import db, embedder
from app.models import Song, User, UserSong

from ..fakes import HashingEmbedder
from .conftest import DEMO_CATALOG, screenshot

ROOT = Path(__file__).resolve().parent.parent.parent
LOCAL_HTMX = ROOT / "static" / "vendor" / "htmx.min.js"
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
TRACK_ID = "4uLU6hMCjMI75M1A2tKUQC"
TRACKS_ROWS = [
    [
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
    ],
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
    ],
]
ADMIN, PASSWORD = "admin0", "admin0 long password"

# Every violation the page reports, kept across navigations (as in test_csp.py).
RECORD_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', e => {
  const seen = JSON.parse(sessionStorage.getItem('csp') || '[]');
  seen.push(`${e.violatedDirective} ${e.blockedURI}`);
  sessionStorage.setItem('csp', JSON.stringify(seen));
});
"""

AXE_SERIOUS = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id}: ${v.help} -> ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, module_database_uri):
    """The app with the default CDN htmx on a free port: demo songs, one tracks-schema song, users
    user0..user2 with activity, an admin; returns (app, base URL, the tracks song's id)."""
    from flask_migrate import upgrade

    from app.services.accounts import users
    from app.services.catalog.imports import import_spotify_csv
    from app.services.indexing.song_vectors import embed_songs
    from app.services.indexing.user_vectors import refresh_all_user_vectors
    from app.services.ops import seeding

    tmp = tmp_path_factory.mktemp("feel")
    tracks = tmp / "tracks.csv"
    with open(tracks, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(TRACKS_ROWS)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": module_database_uri("feel"),
            "QDRANT_LOCATION": ":memory:",
            "HTMX_SRC": Config.HTMX_SRC,
        }
    )
    embedder.override(app, HashingEmbedder())
    with app.app_context():
        upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=400)
        import_spotify_csv(tracks)
        seeding.seed_users(3, seed=4)
        seeding.seed_activities(per_user=20, seed=4)
        admin = users.register_user(ADMIN, PASSWORD)
        admin.is_admin = True
        db.session.commit()
        embed_songs()
        refresh_all_user_vectors()
        track_song = db.session.scalar(sa.select(Song.id).where(Song.source_track_id == TRACK_ID))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.server_port}", track_song
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def open_page(
    browser, site, user="user0", password="user0@000", cdn="serve", width=1280, height=900, axe=False
):
    """A logged-in page. cdn="serve" hands the browser the committed copy at the CDN's address (the
    SRI hash must accept it); "block" aborts it, as an unreachable CDN would. Spotify is stubbed."""
    _, base, _ = site
    context = browser.new_context(base_url=base, viewport={"width": width, "height": height})
    context.add_init_script(RECORD_VIOLATIONS)
    if axe:
        context.add_init_script(path=str(AXE))  # DevTools injects it: the page's CSP doesn't apply
    if cdn == "block":
        context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    else:
        context.route(
            Config.HTMX_SRC,
            lambda route: route.fulfill(
                path=str(LOCAL_HTMX),
                content_type="application/javascript",
                headers={"Access-Control-Allow-Origin": "*"},
            ),
        )
    context.route(
        "https://open.spotify.com/**",
        lambda route: route.fulfill(
            body="<!doctype html><title>Spotify stand-in</title><p>player</p>", content_type="text/html"
        ),
    )
    page = context.new_page()
    page.goto("/auth/login")
    if user:
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/auth/login" not in url)
    page.wait_for_function("() => typeof htmx === 'object'")
    return page


def violations(page):
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('csp') || '[]')")


def user_state(app, song_id, username="user0"):
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        return db.session.get(UserSong, (user_id, song_id))


def test_a_toast_with_undo_brings_a_disliked_card_back(browser, site):
    app = site[0]
    page = open_page(browser, site)
    try:
        page.goto("/recommendations/content")
        page.evaluate("() => { window.sameDocument = true; }")
        card = page.locator("#recommendations .song-card").first
        card_id = card.get_attribute("id")
        card.locator("button.btn-dislike").click()
        page.wait_for_function("id => !document.getElementById(id)", arg=card_id)
        toast = page.locator("#toasts .toast")
        assert "is hidden" in toast.inner_text()
        toast.get_by_role("button", name="Undo").click()
        page.wait_for_function(
            "id => document.querySelector(`#recommendations #${id}`) !== null", arg=card_id
        )
        assert "Undone" in page.locator("#toasts .toast").inner_text()
        assert page.evaluate("() => window.sameDocument") is True  # all in place, no reload
        assert user_state(app, int(card_id.split("-")[1])) is None
        assert violations(page) == []  # before the screenshot, which sets an inline style of its own
        screenshot(page, "toast-after-undo")
    finally:
        page.context.close()


def test_show_more_adds_songs_and_the_popular_tab_lists_them(browser, site):
    page = open_page(browser, site)
    try:
        page.goto("/recommendations/")
        page.get_by_role("link", name="Popular", exact=True).click()
        page.wait_for_url("**/recommendations/popular")
        cards = page.locator("#recommendations .song-card")
        assert cards.count() == 12 and page.locator(".tabs a[aria-current=page]").inner_text() == "Popular"
        assert page.locator("#recommendations .reason").first.inner_text().startswith("Popular")
        first_ids = cards.evaluate_all("els => els.map(e => e.id)")
        page.evaluate("() => { window.sameDocument = true; }")
        with page.expect_request(lambda request: "after=12" in request.url) as more:
            page.get_by_role("link", name="Show more").click()
        assert more.value.url.count("shown=") == 1  # the list's hx-include is not inherited
        page.wait_for_function("() => document.querySelectorAll('#recommendations .song-card').length === 24")
        ids = cards.evaluate_all("els => els.map(e => e.id)")
        assert ids[:12] == first_ids and len(set(ids)) == 24
        assert page.evaluate("() => window.sameDocument") is True
        assert page.locator("#rec-shown").get_attribute("value") == "24"
    finally:
        page.context.close()


def test_with_the_cdn_blocked_htmx_loads_from_the_fallback_and_a_like_updates_in_place(browser, site):
    app = site[0]
    page = open_page(browser, site, cdn="block")
    try:
        page.goto("/songs/")
        assert page.evaluate(
            "() => document.querySelector('script[src=\"/static/vendor/htmx.min.js\"]') !== null"
        )
        page.evaluate("() => { window.sameDocument = true; }")
        card = page.locator(".song-card").nth(1)
        song_id = int(card.get_attribute("id").split("-")[1])
        like = card.locator("button.btn-like")
        was_liked = like.get_attribute("aria-pressed") == "true"
        like.click()
        want = "false" if was_liked else "true"
        page.wait_for_function(
            "([id, want]) => document.querySelector(`#song-${id} button.btn-like`)"
            ".getAttribute('aria-pressed') === want",
            arg=[song_id, want],
        )
        assert page.evaluate("() => window.sameDocument") is True
        text = card.locator("button.btn-like").inner_text()
        assert ("Liked" in text) is (want == "true")
        assert page.locator("#toasts .toast").count() == 1
        assert user_state(app, song_id).liked is (want == "true")
    finally:
        page.context.close()


def test_a_tracks_song_page_plays_in_the_spotify_frame(browser, site):
    app, _, track_song = site
    page = open_page(browser, site)
    try:
        page.goto(f"/songs/{track_song}")
        assert page.locator("iframe").count() == 0
        assert page.get_by_role("link", name="Open in Spotify").get_attribute("href").endswith(TRACK_ID)
        page.get_by_role("button", name="Play with Spotify").click()
        frame = page.locator(f'#listen iframe[src="https://open.spotify.com/embed/track/{TRACK_ID}"]')
        frame.wait_for()
        assert frame.get_attribute("title") == "Spotify player: One More Time by Daft Punk"
        page.frame_locator("#listen iframe").locator("text=player").wait_for()  # the CSP let it load
        assert violations(page) == []
        assert user_state(app, track_song).play_count >= 1
        screenshot(page, "song-spotify")
    finally:
        page.context.close()


def test_a_demo_song_plays_a_labelled_sketch_and_a_card_play_fills_the_player_bar(browser, site):
    page = open_page(browser, site)
    try:
        page.goto("/songs/2")
        sketch = page.locator("#listen [data-sketch]")
        assert "not the recording" in page.locator("#listen").inner_text()
        sketch.click()
        page.wait_for_function(
            "() => document.querySelector('#listen [data-sketch]').getAttribute('aria-pressed') === 'true'"
        )
        assert sketch.inner_text().strip().endswith("Stop the sketch")
        sketch.click()
        assert sketch.get_attribute("aria-pressed") == "false"
        page.locator(".more-like-this .song-card button.btn-play").first.click()
        page.locator("#player-bar .player").wait_for()
        page.wait_for_function(
            "() => document.querySelector('#player-bar [data-sketch]').getAttribute('aria-pressed') === 'true'"
        )
        page.get_by_role("button", name="Close the player").click()
        page.wait_for_function("() => document.querySelector('#player-bar').children.length === 0")
    finally:
        page.context.close()


def test_one_action_row_and_aligned_stars_at_1280(browser, site):
    page = open_page(browser, site, width=1280)
    try:
        for path in ("/songs/", "/recommendations/popular"):
            page.goto(path)
            rows = page.eval_on_selector_all(
                ".song-card .actions .buttons",
                """forms => forms.map(f =>
                [...f.querySelectorAll('button')].map(b => Math.round(b.getBoundingClientRect().top)))""",
            )
            assert rows and all(len(set(tops)) == 1 for tops in rows), path  # no button on a second line
            stars = page.eval_on_selector_all(
                ".song-card",
                """cards => cards.map(c => [Math.round(c.getBoundingClientRect().top),
                                            Math.round(c.querySelector('.stars').getBoundingClientRect().top)])""",
            )
            by_row = {}
            for card_top, star_top in stars:
                by_row.setdefault(card_top, set()).add(star_top)
            assert all(len(tops) == 1 for tops in by_row.values()), path  # star rows line up across a row
        screenshot(page, "popular-1280")
    finally:
        page.context.close()


@pytest.mark.parametrize(
    "path, name", [("/songs/", "browse"), ("/recommendations/", "for-you"), ("/songs/2", "song")]
)
def test_phone_width_pages_fit_and_are_saved(browser, site, path, name):
    page = open_page(browser, site, width=390, height=844)
    try:
        page.goto(path)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        if name == "browse":
            boxes = page.eval_on_selector_all(
                ".filters select", "els => els.map(e => e.getBoundingClientRect().width)"
            )
            assert len({round(w) for w in boxes}) == 1  # a tidy grid: every filter the same width
        screenshot(page, f"phone-{name}")
    finally:
        page.context.close()


PAGES = [
    "/songs/",
    "/songs/?q=love&emotion=joy",
    "/songs/2",
    "TRACK",
    "/recommendations/",
    "/recommendations/content",
    "/recommendations/collaborative",
    "/recommendations/item_based",
    "/recommendations/knowledge",
    "/recommendations/popular",
    "/library/",
    "/library/bookmarked",
    "/library/rated",
    "/library/recent",
    "/library/disliked",
    "/profile/",
    "/taste/",
]
ADMIN_PAGES = [
    "/admin/status",
    "/admin/songs",
    "/admin/songs/new",
    "/admin/songs/1/edit",
    "/admin/songs/1/delete",
    "/admin/users",
    "/admin/users/1",
]


def assert_no_serious_violations(page, path):
    found = page.evaluate(AXE_SERIOUS)
    assert found == [], f"{path}: {found}"


@pytest.mark.parametrize(
    "who, paths", [("user", PAGES), ("admin", ADMIN_PAGES), ("nobody", ["/auth/login", "/auth/register"])]
)
def test_axe_finds_no_serious_violations(browser, site, who, paths):
    _, _, track_song = site
    user, password = {"user": ("user0", "user0@000"), "admin": (ADMIN, PASSWORD), "nobody": (None, None)}[who]
    page = open_page(browser, site, user=user, password=password, axe=True)
    try:
        for path in paths:
            path = f"/songs/{track_song}" if path == "TRACK" else path
            response = page.goto(path)
            assert response.status == 200, path
            assert_no_serious_violations(page, path)
        if who == "user":  # with a toast and the player bar showing
            page.goto("/songs/")
            page.locator(".song-card button.btn-like").first.click()
            page.locator("#toasts .toast").wait_for()
            page.locator(".song-card button.btn-play").first.click()
            page.locator("#player-bar .player").wait_for()
            assert_no_serious_violations(page, "/songs/ with a toast and the player bar")
        # The check can fail: an image without a text alternative is a critical violation.
        page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
        assert any("image-alt" in found for found in page.evaluate(AXE_SERIOUS))
    finally:
        page.context.close()
