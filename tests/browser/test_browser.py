"""Real browser tests: Debian's Chromium, driven by Playwright, against a live server."""

import sqlalchemy as sa

from app.extensions import db
from app.models import User, UserSong

from .conftest import screenshot


def user0_state(app, song_id):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user0"))
        return db.session.get(UserSong, (user.id, song_id))


def test_search_like_and_rate_without_a_reload(page, live_server):
    app, _ = live_server
    screenshot(page, "recommendations")
    page.goto("/songs/")
    screenshot(page, "browse")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    first_title = page.locator(".song-card h3 a").first.inner_text()
    with page.expect_response(lambda r: "/songs/?" in r.url and "q=" in r.url):
        page.fill("#q", first_title)  # live search: htmx asks after a pause in typing
    page.wait_for_function(
        "t => document.querySelector('.song-card h3 a').textContent === t", arg=first_title
    )
    assert "q=" in page.url  # the search is in the address, so reload and back keep it
    card = page.locator(".song-card").first
    song_id = int(card.get_attribute("id").split("-")[1])
    like = card.locator("button.btn-like")
    was_liked = like.get_attribute("aria-pressed") == "true"
    like.click()
    page.wait_for_function(
        "([id, want]) => document.querySelector(`#song-${id} button.btn-like`).getAttribute('aria-pressed') === want",
        arg=[song_id, "false" if was_liked else "true"],
    )
    card.locator("button.star").nth(3).click()  # four stars
    page.wait_for_function(
        "id => document.querySelectorAll(`#song-${id} button.star.on`).length === 4", arg=song_id
    )
    assert page.evaluate("window.__sameDocument") is True
    state = user0_state(app, song_id)
    assert state.liked is (not was_liked) and state.rating == 4


def test_dislike_on_the_recommendations_page_removes_the_song(page):
    page.goto("/recommendations/content")
    cards = page.locator("#recommendations .song-card")
    assert cards.count() > 0
    first_id = cards.first.get_attribute("id")
    cards.first.locator("button.btn-dislike").click()
    page.wait_for_function("id => !document.getElementById(id)", arg=first_id)
    assert page.locator("#recommendations .song-card").count() > 0
    screenshot(page, "recommendations-after-dislike")


def test_profile_tags_change_the_knowledge_tab(page):
    page.goto("/recommendations/knowledge")
    before = page.locator("#recommendations").inner_text()
    page.goto("/profile/")
    checked = page.eval_on_selector_all(
        "input[type=checkbox]:checked", "els => els.map(e => [e.name, e.value])"
    )
    for name, value in checked:
        page.uncheck(f"input[name={name}][value='{value}']")
    page.check("input[name=emotions][value=fear]")
    page.check("input[name=tags][value=yoga]")
    page.click("main form button[type=submit] >> text=Save")
    # The form posts through htmx: the URL doesn't change, the saved message appears.
    page.locator(".flash-success").wait_for()
    screenshot(page, "profile")
    page.goto("/recommendations/knowledge")
    after = page.locator("#recommendations").inner_text()
    assert after != before
    assert "fear" in after or "yoga" in after


def test_song_page_and_library_render(page):
    page.goto("/songs/1")
    assert page.locator("svg[role=img]").count() == 1
    assert page.locator(".more-like-this .song-card").count() > 0
    screenshot(page, "song")
    page.goto("/library/recent")
    screenshot(page, "library")
    assert page.locator("h1").inner_text() == "Your library"
