"""Benchmark: what a JSON API request costs beside a bare Flask JSON route, in one process.

    python bench/api_overhead.py [--rounds 7] [--requests 200] [--songs 300]

The app (create_app on a fresh SQLite file, the demo catalog's first --songs songs, a user with an
API token) and a bare Flask app with one route answering the same JSON are both called through
Flask's test client, so no socket or server is timed: only routing, the request hooks (token
lookup, throttle, security headers), argument parsing and validation, the view and the JSON answer.

Routes, each timed per request over --requests calls, rounds interleaved (median and best round):
- bare: the bare app's route answering a page of 20 songs (the baseline, ratio 1.00)
- songs, catalog stubbed: GET /api/v1/songs with six query arguments, the catalog service
  replaced by the same fixed page, so what remains is the web layer the API adds around a service
- songs: the same request with the real service (SQL)
- me: GET /api/v1/me (profile and counts)
- like/unlike: POST /api/v1/me/activities with a JSON body, like and unlike in turn
- openapi.json: the OpenAPI document

The same script runs on any checkout of the project (it uses only create_app, the services and
HTTP), so two trees compare through their ratios to the bare route.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask

SONGS_QUERY = {"q": "a", "genre": "", "sort": "title", "explicit": "false", "page": "1", "per_page": "20"}


def build_app(tmp: Path, songs: int):
    """The app with `songs` demo songs, one user and that user's Bearer headers."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import embedder
    from app.services.accounts import tokens, users
    from app.services.catalog.imports import import_spotify_csv
    from tests.fakes import HashingEmbedder  # no model load: this measures the web layer

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
            "QDRANT_LOCATION": ":memory:",
            "EMBEDDING_WARMUP": "off",
            "API_WRITE_LIMIT_PER_ACCOUNT": "1000000 per minute",
            "API_WRITE_LIMIT_PER_ADDRESS": "1000000 per minute",
        }
    )
    embedder.override(app, HashingEmbedder())
    with app.app_context():
        upgrade()
        import_spotify_csv(ROOT / "data" / "demo_songs.csv", limit=songs)
        user = users.register_user("bench", "long enough pw 9")
        headers = {"Authorization": f"Bearer {tokens.create_token(user.id, 'bench')[1]}"}
    return app, headers


def fixed_page(app) -> SimpleNamespace:
    """A page of 20 songs as the catalog service returns it, already turned into JSON."""
    from app.services.catalog import browse

    with app.app_context():
        page = browse.page_of_songs(1, 20, None, None, "title")
        items = [browse.song_json(song) for song in page.items]
    return SimpleNamespace(items=items, page=1, per_page=20, total=page.total, pages=-(-page.total // 20))


def bare_app(page: SimpleNamespace) -> Flask:
    bare = Flask("bare")
    body = {
        "items": page.items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }

    @bare.get("/json")
    def json_route():
        return body

    return bare


def per_request_us(call, requests: int) -> float:
    call()  # warm: first-request work (caches, lazy imports) is not what is measured
    start = time.perf_counter()
    for _ in range(requests):
        call()
    return (time.perf_counter() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--songs", type=int, default=300)
    args = parser.parse_args()

    from app.services.catalog import browse

    app, headers = build_app(Path(tempfile.mkdtemp()), args.songs)
    page = fixed_page(app)
    bare = bare_app(page).test_client()
    client = app.test_client()
    with app.app_context():
        song_id = browse.page_of_songs(1, 1, None, None, "title").items[0].id
    real_page_of_songs, real_song_json = browse.page_of_songs, browse.song_json
    actions = iter(["like", "unlike"] * (args.rounds * (args.requests + 1)))

    def stubbed_songs():
        browse.page_of_songs, browse.song_json = (lambda *a, **k: page), (lambda song: song)
        try:
            return client.get("/api/v1/songs", query_string=SONGS_QUERY, headers=headers)
        finally:
            browse.page_of_songs, browse.song_json = real_page_of_songs, real_song_json

    def like():
        return client.post(
            "/api/v1/me/activities", json={"song_id": song_id, "action": next(actions)}, headers=headers
        )

    routes = {
        "bare": lambda: bare.get("/json"),
        "songs, catalog stubbed": stubbed_songs,
        "songs": lambda: client.get("/api/v1/songs", query_string=SONGS_QUERY, headers=headers),
        "me": lambda: client.get("/api/v1/me", headers=headers),
        "like/unlike": like,
        "openapi.json": lambda: client.get("/api/v1/openapi.json"),
    }
    for name, call in routes.items():  # every route answers as expected before anything is timed
        status = call().status_code
        assert status in (200, 201), (name, status)
    times = {name: [] for name in routes}
    for _ in range(args.rounds):
        for name, call in routes.items():
            times[name].append(per_request_us(call, args.requests))
    # The best round is the least disturbed by other work on the machine; the median shows the spread.
    base, base_best = median(times["bare"]), min(times["bare"])
    print(f"{args.rounds} rounds x {args.requests} requests, {args.songs} songs; microseconds per request")
    print(f"{'route':<24}{'median':>9}{'x bare':>8}{'best':>9}{'x bare':>8}")
    for name, values in times.items():
        print(
            f"{name:<24}{median(values):>9.0f}{median(values) / base:>8.2f}"
            f"{min(values):>9.0f}{min(values) / base_best:>8.2f}"
        )


if __name__ == "__main__":
    main()
