"""Benchmark: the post routes (like, unlike, bookmark) against a page, CPU per request, same process.

    python bench/writes.py [--size 2000] [--requests 60] [--rounds 2] [--prepared FOLDER]

Issue 11 asks that writes stay cheap: a like records the event, bumps the user's list version,
recomputes the taste vector and writes it to the index, then answers with the song's buttons and a
toast. Each is posted through the test client as htmx posts it, for random songs, by one logged-in
seeded user, interleaved round by round with the baseline: the browse page of 24 cards. Prints CPU
(process time, which a busy shared machine inflates less than wall time) and wall p50/p95 per
request, and each p95 as a multiple of the page's. The catalog is built as bench/recommend.py builds
it (or copied from --prepared, a folder a build left: r<size>.db, vectors<size>/).
"""

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.recommend import build, open_prepared
from bench.taste import login

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TARGET_RATIO = 2.0  # a write's p95 within twice a page's (issue 11)
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/songs/"}


def logged_in_client(app):
    """A test client logged in as the first seeded user, and a CSRF token for its posts."""
    from app.extensions import db
    from app.models import Song, User

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    with app.app_context():
        login(client, db.session.scalars(db.select(User).order_by(User.id)).first())
        song_ids = db.session.scalars(db.select(Song.id)).all()
    token = TOKEN.search(client.get("/songs/").get_data(as_text=True))
    return client, token.group(1), song_ids


def routes(client, token, song_ids, rng):
    """{label: a function making one request that checks its answer}."""

    def page():
        assert client.get("/songs/").status_code == 200

    def post(action):
        def one():
            song_id = rng.choice(song_ids)
            data = {"action": action, "value": str(rng.randint(1, 5)), "csrf_token": token}
            answer = client.post(f"/songs/{song_id}/act", data=data, headers=HTMX)
            assert answer.status_code == 200, (action, answer.status_code)

        return one

    return {
        "GET /songs/ (24 cards), the baseline": page,
        "POST like": post("like"),
        "POST unlike": post("unlike"),
        "POST bookmark": post("bookmark"),
        "POST rate": post("rate"),
    }


def timed(request, count):
    """(CPU ms, wall ms) of `count` requests."""
    out = []
    for _ in range(count):
        cpu, wall = time.process_time(), time.perf_counter()
        request()
        out.append(((time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000))
    return np.array(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=60, help="requests per route and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--prepared", help="copy the catalog a build left in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.prepared:
            app = open_prepared(tmp, args.prepared, args.size)
        else:
            app, _ = build(tmp, args.size, None, args.users)
        client, token, song_ids = logged_in_client(app)
        requests = routes(client, token, song_ids, random.Random(1))
        for request in requests.values():  # warm-up: first-query paths, the model's first use
            timed(request, 5)
        samples = {label: [] for label in requests}
        for _ in range(args.rounds):  # interleaved, so a busy spell costs every route alike
            for label, request in requests.items():
                samples[label].append(timed(request, args.requests))
    results = {label: np.concatenate(parts) for label, parts in samples.items()}
    baseline = np.percentile(next(iter(results.values()))[:, 0], 95)
    print(f"\n{args.size:,} songs, {args.requests * args.rounds} requests each (ms)")
    print(f"{'request':40} {'CPU p50':>8} {'CPU p95':>8} {'wall p50':>9} {'wall p95':>9} {'p95/page':>9}")
    worst = 0.0
    for label, values in results.items():
        cpu50, cpu95 = np.percentile(values[:, 0], [50, 95])
        wall50, wall95 = np.percentile(values[:, 1], [50, 95])
        ratio = cpu95 / baseline
        worst = max(worst, ratio if label.startswith("POST") else 0.0)
        print(f"{label:40} {cpu50:8.1f} {cpu95:8.1f} {wall50:9.1f} {wall95:9.1f} {ratio:8.2f}x")
    verdict = "met" if worst <= TARGET_RATIO else "NOT met"
    print(f"target: every write's CPU p95 <= {TARGET_RATIO}x the page's -> worst {worst:.2f}x, {verdict}")


if __name__ == "__main__":
    main()
