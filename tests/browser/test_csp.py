"""Issue 12, finding 5, in a real browser: under the Content-Security-Policy the htmx buttons and live
search still work, the console shows no CSP violation, and the policy is enforced (an injected
inline script does not run)."""

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import Config
from app.extensions import db

LOCAL_HTMX = Path(__file__).resolve().parent.parent.parent / "static" / "vendor" / "htmx.min.js"

# Every violation the page reports, kept in the page (sessionStorage survives navigations).
RECORD_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', e => {
  const seen = JSON.parse(sessionStorage.getItem('csp') || '[]');
  seen.push(`${e.violatedDirective} ${e.blockedURI}`);
  sessionStorage.setItem('csp', JSON.stringify(seen));
});
"""


def violations(page):
    return page.evaluate("JSON.parse(sessionStorage.getItem('csp') || '[]')")


def test_htmx_works_under_the_csp_without_violations(page):
    page.context.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))

    response = page.goto("/songs/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.evaluate("typeof htmx") == "object"  # htmx loaded from /static under the policy

    first_title = page.locator(".song-card h3 a").nth(1).inner_text()
    with page.expect_response(lambda r: "/songs/?" in r.url and "q=" in r.url):
        page.fill("#q", first_title)  # live search through htmx
    page.wait_for_function(
        "t => document.querySelector('.song-card h3 a').textContent === t", arg=first_title
    )
    card = page.locator(".song-card").first
    song_id = card.get_attribute("id").split("-")[1]
    like = card.locator("button.btn-like")
    want = "false" if like.get_attribute("aria-pressed") == "true" else "true"
    like.click()
    page.wait_for_function(
        "([id, want]) => document.querySelector(`#song-${id} button.btn-like`).getAttribute('aria-pressed') === want",
        arg=[song_id, want],
    )
    card.locator("button.star").nth(2).click()
    page.wait_for_function(
        "id => document.querySelectorAll(`#song-${id} button.star.on`).length === 3", arg=song_id
    )

    page.goto("/recommendations/content")  # a dislike reloads the list in place (hx-trigger from body)
    cards = page.locator("#recommendations .song-card")
    first_id = cards.first.get_attribute("id")
    cards.first.locator("button.btn-dislike").click()
    page.wait_for_function("id => !document.getElementById(id)", arg=first_id)

    for path in ("/songs/1", "/library/", "/profile/"):
        page.goto(path)
    assert violations(page) == []
    assert not [text for text in console if "Content Security Policy" in text]

    # The policy is enforced, not only sent: an inline script injected into the page does not run.
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.inlineRan = true';
        document.head.appendChild(s);
    }""")
    page.wait_for_function("() => JSON.parse(sessionStorage.getItem('csp') || '[]').length > 0")
    assert page.evaluate("window.inlineRan === true") is False
    assert violations(page) == ["script-src-elem inline"]


@pytest.fixture(scope="module")
def cdn_server(module_database_uri):
    """The app as deployed by default: pages load htmx from the pinned CDN URL, with its SRI hash."""
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": module_database_uri("cdn"),
            "QDRANT_LOCATION": ":memory:",
            "HTMX_SRC": Config.HTMX_SRC,
        }
    )
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_the_pinned_cdn_file_loads_under_the_policy(browser, cdn_server):
    """Tests run offline, so the browser is handed the npm copy at the CDN's address: the policy's
    exact URL and the page's SRI hash must both accept it."""
    context = browser.new_context(base_url=cdn_server)
    context.add_init_script(RECORD_VIOLATIONS)
    context.route(
        Config.HTMX_SRC,
        lambda route: route.fulfill(
            path=str(LOCAL_HTMX),
            content_type="application/javascript",
            headers={"Access-Control-Allow-Origin": "*"},  # the tag is crossorigin="anonymous"
        ),
    )
    page = context.new_page()
    try:
        response = page.goto("/auth/login")
        assert Config.HTMX_SRC in response.headers["content-security-policy"]
        # A function, not an expression: Playwright would eval() an expression, which the CSP forbids.
        page.wait_for_function("() => typeof htmx === 'object'", timeout=10000)
        assert violations(page) == []
    finally:
        context.close()
