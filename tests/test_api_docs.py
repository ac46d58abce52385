"""The API's documentation page (/api/v1/docs): Swagger UI from files this site serves, under a strict CSP.

The client tests check the page and its assets offline; the browser test loads it in Chromium with
every request off this site refused, and finds every documented operation shown and no CSP violation.
"""

import hashlib
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def assets(page: str) -> list[str]:
    """Every script and stylesheet the page loads."""
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    return scripts + re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page)


def test_the_docs_page_loads_without_login_and_every_asset_is_served_here(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    found = assets(page)
    assert {
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/js/api-docs.js",
    } <= set(found)
    for url in found:
        assert url.startswith("/static/"), url  # nothing from another site
        asset = client.get(url)
        assert asset.status_code == 200 and asset.data == (ROOT / url.lstrip("/")).read_bytes(), url
    spec_url = re.search(r'data-spec-url="([^"]+)"', page).group(1)
    assert client.get(spec_url).get_json()["paths"]["/api/v1/docs"]["get"]["security"] == []


def test_the_docs_page_policy_allows_only_this_site(client):
    policy = client.get("/api/v1/docs").headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"] and directives["default-src"] == ["'none'"]
    assert directives["img-src"] == ["'self'", "data:"]  # Swagger UI's icons are data: SVGs in its CSS
    assert "unsafe" not in policy and "http" not in policy
    # Other pages keep the site's policy (no data: images there).
    assert "data:" not in client.get("/auth/login").headers["Content-Security-Policy"]


def test_the_vendored_files_are_the_ones_the_readme_records():
    readme = (VENDOR / "README.md").read_text()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        digest = hashlib.sha256((VENDOR / "swagger-ui" / name).read_bytes()).hexdigest()
        assert f"`{name}`" in readme and digest in readme, name
    license_text = (VENDOR / "swagger-ui" / "LICENSE").read_text()
    assert "5.35.0" in readme and "Apache License" in license_text and "Version 2.0" in license_text


# ---- in a browser ------------------------------------------------------------------------------


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    chromium = shutil.which("chromium")
    if sync_playwright is None or chromium is None:
        message = "the docs page's browser test needs Debian's chromium and PyPI's playwright"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright, chromium


@pytest.fixture
def live_server(database_uri):
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri("docs"),
            "QDRANT_LOCATION": ":memory:",
        }
    )
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser():
    sync_playwright, chromium = _browser_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
                          e => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def test_swagger_ui_shows_every_operation_offline_under_the_csp(live_server, browser):
    app, base = live_server
    context = browser.new_context()
    elsewhere = []

    def only_this_site(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:  # the network is not there: any other host would fail offline
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_site)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{base}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = sum(method in HTTP_METHODS for item in document["paths"].values() for method in item)
    assert page.locator(".opblock").count() == operations
    assert "/api/v1/me/activities" in page.locator(".opblock-summary-path").all_inner_texts()
    assert elsewhere == []
    assert page.evaluate("window.cspViolations") == []
    context.close()
