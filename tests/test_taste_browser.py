"""The taste page in Debian's Chromium: the map draws, with the user's points inside it, under the CSP."""

from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import User, UserSong
from app.vectors.schema import interaction_weight

from .browser.conftest import browser, live_server, page, screenshot  # noqa: F401  (fixtures)

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_SERIOUS = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id}: ${v.help} -> ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
}"""


def own_positive_songs(app):
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "user0"))
        rows = db.session.scalars(sa.select(UserSong).where(UserSong.user_id == user_id)).all()
        return {
            r.song_id
            for r in rows
            if interaction_weight(r.play_count, r.liked, r.rating, r.bookmarked, r.disliked) > 0
        }


def test_the_taste_page_draws_the_users_points(page, live_server):
    app, _ = live_server
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto("/taste/")
    svg = page.locator("svg.taste-map")
    svg.wait_for()
    box = svg.bounding_box()
    assert box["width"] > 500 and box["height"] > 300
    # Dots of the catalog, by mood, and user0's own songs, each drawn inside the map.
    assert page.locator("svg.taste-map .taste-dots path").count() >= 3
    own = page.locator("svg.taste-map .taste-mark-own")
    ids = {int(own.nth(i).get_attribute("data-song-id")) for i in range(own.count())}
    assert ids and ids == own_positive_songs(app)
    for i in range(own.count()):
        mark = own.nth(i).bounding_box()
        assert box["x"] <= mark["x"] and mark["x"] + mark["width"] <= box["x"] + box["width"] + 1
        assert box["y"] <= mark["y"] and mark["y"] + mark["height"] <= box["y"] + box["height"] + 1
    assert page.locator("svg.taste-map .taste-mark-for-you").count() > 0
    # The same songs, as links a screen reader reaches.
    assert page.locator(".taste-own-list a").count() == len(ids)
    assert page.locator("#moods-chart .month-bar").count() >= 1
    screenshot(page, "taste")
    page.set_viewport_size({"width": 390, "height": 844})
    assert svg.bounding_box()["width"] <= 390  # the map shrinks with the phone's width
    screenshot(page, "taste-phone")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def test_axe_finds_no_serious_violations_on_the_taste_page(browser, live_server):
    _, base = live_server
    assert AXE.is_file(), "tests/vendor/axe.min.js is the pinned axe-core"
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))  # injected like DevTools would: the page's CSP doesn't apply
    tab = context.new_page()
    try:
        tab.goto("/auth/login")
        tab.fill("#username", "user0")
        tab.fill("#password", "user0@000")
        tab.click("main button[type=submit]")
        tab.wait_for_url(lambda url: "/auth/login" not in url)
        tab.goto("/taste/")
        tab.locator("svg.taste-map").wait_for()
        tab.locator("#moods-chart").scroll_into_view_if_needed()
        assert tab.evaluate(AXE_SERIOUS) == []
    finally:
        context.close()
