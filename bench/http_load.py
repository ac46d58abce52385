"""Benchmark: the app under HTTP load, served by gunicorn as `make run` serves it.

    python bench/http_load.py [--clients 8,32] [--seconds 60] [--instance DIR] [--reads-only]

Seeds a fresh instance with the demo catalog (`flask seed all`, Qdrant Edge), starts gunicorn
(1 worker, 4 threads, on a free local port), logs 50 users in through the real login form, then
runs each client count for the given time on a mix of browse, song page, every recommendation
approach, and like/rate posts. Prints requests/s, p50/p95/p99 per route and errors; afterwards
checks that every post answered 2xx is in the database (events added = posts answered 2xx).
"""

import argparse
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
USERS = 50
MIX = [  # (route label, weight)
    ("browse", 3), ("search", 2), ("song", 3), ("rec:for_you", 2), ("rec:content", 1),
    ("rec:collaborative", 1), ("rec:knowledge", 1), ("post:like", 2), ("post:rate", 2),
]
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(instance, port):
    """Seed the instance (once) and start gunicorn the way `make run` does."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{instance}/music.db", "VECTORS_PATH": f"{instance}/vectors",
           "SECRET_KEY": "bench-" + "k" * 32, "FLASK_APP": "app", "ITEM_MODEL_PATH": f"{instance}/item_model.npz"}
    for name in ("QDRANT_URL", "QDRANT_LOCATION"):
        env.pop(name, None)
    flask = [sys.executable, "-m", "flask"]
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(flask + ["seed", "all", "--if-empty"], env=env, cwd=ROOT, check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/auth/login", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def log_in(base, n):
    """A client logged in as user<n> through the login form, with its CSRF token."""
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    token = TOKEN.search(client.get("/auth/login").text).group(1)
    response = client.post("/auth/login", data={"username": f"user{n}", "password": f"user{n}@000", "csrf_token": token})
    assert response.status_code == 302, f"user{n} could not log in"
    token = TOKEN.search(client.get("/profile/").text).group(1)
    return client, token


def one_request(client, token, route, rng, song_count):
    song = rng.randint(1, song_count)
    if route == "browse":
        return client.get(f"/songs/?page={rng.randint(1, 20)}")
    if route == "search":
        return client.get("/songs/", params={"q": rng.choice(["love", "night", "fire", "the", "rain"])},
                          headers={"HX-Request": "true"})
    if route == "song":
        return client.get(f"/songs/{song}")
    if route.startswith("rec:"):
        approach = route[4:]
        path = "/recommendations/" if approach == "for_you" else f"/recommendations/{approach}"
        return client.get(path, headers={"HX-Request": "true"})
    data = {"action": "like"} if route == "post:like" else {"action": "rate", "value": str(rng.randint(1, 5))}
    return client.post(f"/songs/{song}/act", data=data, headers={"HX-Request": "true", "X-CSRFToken": token})


def run_load(sessions, clients, seconds, song_count):
    """Latencies per route, error count and posts answered 2xx, for `clients` concurrent clients."""
    latencies, errors, posts_ok = defaultdict(list), defaultdict(int), [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    routes, weights = zip(*MIX)

    def worker(index):
        client, token = sessions[index % len(sessions)]
        rng = random.Random(index)
        while time.monotonic() < stop:
            route = rng.choices(routes, weights)[0]
            start = time.perf_counter()
            try:
                response = one_request(client, token, route, rng, song_count)
                ok = response.status_code < 400
            except httpx.HTTPError:
                ok = False
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies[route].append(elapsed)
                if not ok:
                    errors[route] += 1
                elif route.startswith("post:"):
                    posts_ok[0] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, posts_ok[0]


def event_count(instance):
    with sqlite3.connect(f"{instance}/music.db") as conn:
        return conn.execute("SELECT count(*) FROM activity_events").fetchone()[0]


def report(clients, seconds, latencies, errors, posts_ok, added):
    total = sum(len(v) for v in latencies.values())
    print(f"\n== {clients} clients, {seconds} s: {total / seconds:.1f} requests/s, "
          f"{sum(errors.values())} errors, posts answered 2xx {posts_ok}, events added {added} "
          f"-> lost writes {posts_ok - added}")
    print(f"{'route':20}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for route, _ in MIX:
        values = np.array(latencies.get(route) or [0.0])
        print(f"{route:20}{len(latencies.get(route, [])):>7}{np.percentile(values, 50):>9.1f}"
              f"{np.percentile(values, 95):>9.1f}{np.percentile(values, 99):>9.1f}{errors.get(route, 0):>8}")
    return max(np.percentile(latencies[r], 95) for r, _ in MIX if r.startswith("rec:") and latencies.get(r))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--instance", help="reuse a seeded instance folder (default: a new temporary one)")
    parser.add_argument("--reads-only", action="store_true",
                        help="leave out the like/rate posts (each one makes that user's cached lists stale)")
    args = parser.parse_args()
    if args.reads_only:
        MIX[:] = [(route, weight) for route, weight in MIX if not route.startswith("post:")]
    with tempfile.TemporaryDirectory() as tmp:
        instance = args.instance or tmp
        port = free_port()
        start = time.perf_counter()
        server = start_server(instance, port)
        print(f"seeded and started in {time.perf_counter() - start:.0f} s (gunicorn -w 1 --threads 4, Qdrant Edge)")
        try:
            base = f"http://127.0.0.1:{port}"
            sessions = [log_in(base, n) for n in range(USERS)]
            with sqlite3.connect(f"{instance}/music.db") as conn:
                song_count = conn.execute("SELECT count(*) FROM songs").fetchone()[0]
            for clients in (int(c) for c in args.clients.split(",")):
                before = event_count(instance)
                latencies, errors, posts_ok = run_load(sessions, clients, args.seconds, song_count)
                rec_p95 = report(clients, args.seconds, latencies, errors, posts_ok, event_count(instance) - before)
                print(f"recommendation routes p95 (worst) {rec_p95:.1f} ms")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
