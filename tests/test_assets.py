"""htmx: pinned on a CDN with Subresource Integrity for users, a local copy for offline tests."""

import base64
import hashlib
from pathlib import Path

from app import create_app
from app.config import Config

LOCAL_COPY = Path(__file__).resolve().parent.parent / "static" / "vendor" / "htmx.min.js"


def test_pages_load_pinned_htmx_from_a_cdn_with_integrity(tmp_path):
    app = create_app({"TESTING": True, "HTMX_SRC": Config.HTMX_SRC})
    html = app.test_client().get("/auth/login").get_data(as_text=True)
    assert (
        f'<script src="{Config.HTMX_SRC}" integrity="{Config.HTMX_INTEGRITY}" crossorigin="anonymous"' in html
    )
    assert f"htmx.org@{Config.HTMX_VERSION}/" in Config.HTMX_SRC


def test_tests_serve_the_local_copy_and_its_hash_is_the_pinned_one(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html
    assert LOCAL_COPY.is_file(), "make install-dev takes htmx from the npm registry into static/vendor/"
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
    digest = base64.b64encode(hashlib.sha384(LOCAL_COPY.read_bytes()).digest()).decode()
    # The CDN serves the npm package's file byte for byte, so this is the hash browsers check.
    assert f"sha384-{digest}" == Config.HTMX_INTEGRITY


def test_htmx_requests_carry_the_csrf_token(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert """<body hx-headers='{"X-CSRFToken": \"""" in html
