"""A live server on a seeded database, and Debian's Chromium driven by Playwright."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db, embedder

from ..fakes import HashingEmbedder

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-screenshots"
DEMO_CATALOG = Path(__file__).resolve().parent.parent.parent / "data" / "demo_songs.csv"


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    chromium = shutil.which("chromium")
    if sync_playwright is None or chromium is None:
        message = "browser tests need Debian's chromium and PyPI's playwright (.ci/run installs both)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright, chromium


@pytest.fixture(scope="module")
def live_server(module_database_uri):
    """The app served on a free local port, with demo songs, users user0..user2 and their vectors."""
    from flask_migrate import upgrade

    from app.services.catalog.imports import import_spotify_csv
    from app.services.indexing.song_vectors import embed_songs
    from app.services.indexing.user_vectors import refresh_all_user_vectors
    from app.services.ops import seeding

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": module_database_uri("live"),
            "QDRANT_LOCATION": ":memory:",
        }
    )
    embedder.override(app, HashingEmbedder())
    with app.app_context():
        upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=400)
        seeding.seed_users(3, seed=4)
        seeding.seed_activities(per_user=20, seed=4)
        embed_songs()
        refresh_all_user_vectors()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
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


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page logged in as user0 through the real login form."""
    _, base = live_server
    context = browser.new_context(base_url=base, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("#username", "user0")
    page.fill("#password", "user0@000")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/recommendations/")
    yield page
    context.close()


def screenshot(page, name):
    """Save a full-page screenshot under test-screenshots/ (git-ignored) for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
