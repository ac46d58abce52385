"""Issue 12, finding 5: security headers on pages, API JSON, errors and static files, and a CSP that
allows exactly what the pages use (templates have no inline script, handler or style)."""

import re
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.security_headers import content_security_policy

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CDN = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.8/dist/htmx.min.js"


def directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_secure_headers(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = directives(response)
    assert csp["frame-ancestors"] == ["'none'"] and csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]  # tests serve htmx from /static/vendor/
    assert csp["style-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy


@pytest.mark.parametrize(
    "path, status",
    [
        ("/auth/login", 200),  # a page
        ("/auth/register", 200),
        ("/api/v1/openapi.json", 200),  # API JSON
        ("/api/v1/songs", 401),  # an API error
        ("/nowhere", 404),  # an error page
        ("/static/css/app.css", 200),  # a static file
        ("/static/vendor/htmx.min.js", 200),
    ],
)
def test_every_kind_of_response_has_the_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secure_headers(response)


def test_logged_in_pages_json_and_forms_have_the_headers(client, auth):
    auth.login()
    for path in ("/songs/", "/profile/", "/library/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure_headers(response)
    response = client.get("/api/v1/me")
    assert response.is_json
    assert_secure_headers(response)
    assert_secure_headers(auth.logout())  # a redirect


def test_a_server_error_has_the_headers(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer with the 500 page, as in production

    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/boom-for-test", view_func=boom)
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert_secure_headers(response)


def test_with_the_cdn_the_policy_names_exactly_the_pinned_file(database_uri):
    assert content_security_policy(CDN).split("; ")[1] == f"script-src 'self' {CDN}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri("c"), "HTMX_SRC": CDN})
    response = app.test_client().get("/auth/login")
    assert directives(response)["script-src"] == ["'self'", CDN]
    page = response.get_data(as_text=True)
    tag = re.search(r"<script[^>]*>", page).group()
    assert f'src="{CDN}"' in tag and f'integrity="{app.config["HTMX_INTEGRITY"]}"' in tag
    with app.app_context():
        db.engine.dispose()


def test_pages_tell_htmx_to_need_no_inline_style_or_eval(client):
    page = client.get("/auth/login").get_data(as_text=True)
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1)
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_templates_have_no_inline_script_handler_or_style(template):
    """What the CSP would block: inline <script>, on* handlers, hx-on (eval), style attributes and <style>."""
    text = (TEMPLATES / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text, re.I), "inline event handler"
    assert not re.search(r"\shx-on", text), "hx-on needs eval"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert "<style" not in text, "<style> element"
    assert "javascript:" not in text
