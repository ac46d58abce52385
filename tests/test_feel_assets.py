"""Issue 13: htmx from the CDN with a committed local fallback, and the vendored test files."""

import base64
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app import create_app
from app.config import Config
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HTMX = ROOT / "static" / "vendor" / "htmx.min.js"
AXE = ROOT / "tests" / "vendor" / "axe.min.js"


@pytest.fixture
def cdn_page(database_uri):
    """The login page as deployed by default: htmx from the pinned CDN URL."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri("c"),
            "HTMX_SRC": Config.HTMX_SRC,
        }
    )
    yield app.test_client().get("/auth/login").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_the_committed_copy_is_the_file_the_page_pins(cdn_page):
    tags = re.findall(r"<script[^>]*>", cdn_page)
    integrity = re.search(r'integrity="([^"]+)"', tags[0]).group(1)
    digest = base64.b64encode(hashlib.sha384(LOCAL_HTMX.read_bytes()).digest()).decode()
    assert integrity == f"sha384-{digest}"  # the browser would accept this copy from the CDN
    assert LOCAL_HTMX.read_bytes().startswith(b"var htmx=function()")
    readme = (LOCAL_HTMX.parent / "README.md").read_text()
    assert f"htmx | {Config.HTMX_VERSION}" in readme and "0BSD" in readme and integrity in readme
    assert "Zero-Clause BSD" in (LOCAL_HTMX.parent / "htmx.LICENSE").read_text()


def test_the_fallback_loads_after_the_cdn_tag_and_points_at_the_local_copy(cdn_page):
    tags = re.findall(r"<script[^>]*>", cdn_page)
    assert Config.HTMX_SRC in tags[0] and 'crossorigin="anonymous"' in tags[0]
    fallback = tags[1]
    assert (
        'src="/static/js/htmx-fallback.js"' in fallback
        and 'data-htmx="/static/vendor/htmx.min.js"' in fallback
    )
    assert " defer" in tags[0] and " defer" in fallback  # deferred scripts run in order: the CDN's first
    script = (ROOT / "static" / "js" / "htmx-fallback.js").read_text()
    assert "if (window.htmx) return;" in script and "dataset.htmx" in script


def test_pages_served_from_the_local_copy_need_no_fallback(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert (
        "htmx-fallback.js" not in page and '<script src="/static/vendor/htmx.min.js" defer></script>' in page
    )


def test_make_test_no_longer_needs_npm_for_htmx():
    makefile = (ROOT / "Makefile").read_text()
    assert "npm" not in makefile and "static/vendor" not in makefile
    assert "/static/vendor/" not in (ROOT / ".gitignore").read_text().split()


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)
@pytest.mark.parametrize(
    "path", ["static/vendor/htmx.min.js", "static/vendor/htmx.LICENSE", "tests/vendor/axe.min.js"]
)
def test_vendored_files_are_not_ignored(path):
    ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
    assert ignored.returncode == 1, f"{path} is git-ignored, so it would not be committed"


def test_axe_is_vendored_with_its_version_and_license():
    assert AXE.read_text()[:40].startswith("/*! axe v4.14.1")
    readme = (AXE.parent / "README.md").read_text()
    assert "4.14.1" in readme and "MPL-2.0" in readme
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() in readme
    assert "Mozilla Public License" in (AXE.parent / "axe-core.LICENSE").read_text()
