"""The load generator behind bench/http_load.py: gunicorn processes, logged-in clients, routes, stats.

Clients speak HTTP/1.1 with keep-alive through http.client, one connection per client thread:
httpx costs about 1.8 ms of client CPU per request here against 0.36 ms for http.client, and on a
2-core machine the client's CPU is taken from the server it measures.
"""

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
NEW_TOKEN = re.compile(r'id="new-token">([^<]+)<')
APPROACHES = ("for_you", "content", "collaborative", "item_based", "knowledge", "popular")
SEARCH_WORDS = ("love", "night", "fire", "the", "rain")
SERVER_READY = "server_mode_app: vectors filled from SQL in worker"  # one line per worker, on stderr


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _fail(server, message, log_path):
    server.kill()
    tail = Path(log_path).read_text(errors="replace")[-3000:] if Path(log_path).exists() else ""
    raise SystemExit(f"{message}; the end of {log_path}:\n{tail}")


def start_gunicorn(target, port, env, threads, workers, log_path, ready_path):
    """gunicorn -c gunicorn.conf.py with the bench's --threads/--workers as overrides; waits until ready."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(CONFIG),
        "--bind",
        f"{HOST}:{port}",
        "--threads",
        str(threads),
        "--workers",
        str(workers),
        target,
    ]
    with open(log_path, "ab") as log:  # the child keeps its own descriptor
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            _fail(server, f"{target} exited with {server.returncode}", log_path)
        try:
            if Client(port).request("GET", ready_path)[0] < 500:
                return server
        except OSError:
            time.sleep(0.2)
    _fail(server, f"{target} did not start in 180 s", log_path)


def wait_for_lines(server, log_path, offset, line, count, timeout=240):
    """Wait until `line` appears `count` times in the log after `offset` (each worker's start done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            _fail(server, f"gunicorn exited with {server.returncode}", log_path)
        with open(log_path, "rb") as log:
            log.seek(offset)
            if log.read().decode(errors="replace").count(line) >= count:
                return
        time.sleep(0.2)
    _fail(server, f"{count} workers did not finish starting in {timeout} s", log_path)


def stop(server):
    server.terminate()
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@dataclass
class Credentials:
    """What one logged-in user sends: the session cookie, the form CSRF token and an API token."""

    cookie: str
    csrf: str
    api_token: str = ""


class Client:
    """One keep-alive connection; reconnects after an error or an idle spell (gunicorn drops idle ones)."""

    def __init__(self, port, credentials=None):
        self.port, self.credentials = port, credentials
        self.cookies = (
            dict(part.strip().partition("=")[::2] for part in credentials.cookie.split(";"))
            if credentials
            else {}
        )
        self.conn, self.last = None, 0.0

    def request(self, method, path, body=None, headers=None):
        """(status, body text), setting cookies the way a browser would."""
        if self.conn is None or time.monotonic() - self.last > 1.0:
            self.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        sent = dict(headers or {})
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if cookie:
            sent["Cookie"] = cookie
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        self.last = time.monotonic()
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, text

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def log_in(port, n):
    """Credentials of user<n>, logged in through the real login form, with a new API token."""
    client = Client(port)
    csrf = CSRF.search(client.request("GET", "/auth/login")[1]).group(1)
    form = urlencode({"username": f"user{n}", "password": f"user{n}@000", "csrf_token": csrf})
    status, _ = client.request(
        "POST", "/auth/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 302, f"user{n} could not log in ({status})"
    csrf = CSRF.search(client.request("GET", "/profile/")[1]).group(1)
    form = urlencode({"name": "http_load bench", "csrf_token": csrf})
    status, page = client.request(
        "POST", "/profile/tokens", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200, f"user{n} could not create an API token ({status})"
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return Credentials(cookie, csrf, NEW_TOKEN.search(page).group(1))


def one_request(client, route, rng, song_count):
    """Send one request of the route labelled `route`; returns the status."""
    creds = client.credentials
    if route == "bare:json":
        return client.request("GET", "/json")[0]
    if route == "bare:page":
        return client.request("GET", "/page")[0]
    if route == "browse":
        return client.request("GET", f"/songs/?page={rng.randint(1, 20)}")[0]
    if route == "search":
        return client.request("GET", f"/songs/?q={rng.choice(SEARCH_WORDS)}", headers={"HX-Request": "true"})[
            0
        ]
    if route == "song":
        return client.request("GET", f"/songs/{rng.randint(1, song_count)}")[0]
    if route == "page:for_you":  # the whole page, layout included, as a first visit loads it
        return client.request("GET", "/recommendations/")[0]
    if route.startswith("rec:"):  # a tab, as htmx loads it when the user switches tabs
        approach = route[4:]
        path = "/recommendations/" if approach == "for_you" else f"/recommendations/{approach}"
        return client.request("GET", path, headers={"HX-Request": "true"})[0]
    bearer = {"Authorization": f"Bearer {creds.api_token}"}
    if route == "api:songs":
        return client.request("GET", f"/api/v1/songs?per_page=24&page={rng.randint(1, 20)}", headers=bearer)[
            0
        ]
    if route.startswith("api:"):
        return client.request("GET", f"/api/v1/me/recommendations?approach={route[4:]}", headers=bearer)[0]
    song = rng.randint(1, song_count)
    data = {"action": "like"} if route == "post:like" else {"action": "rate", "value": str(rng.randint(1, 5))}
    return client.request(
        "POST",
        f"/songs/{song}/act",
        urlencode(data),
        {
            "HX-Request": "true",
            "X-CSRFToken": creds.csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )[0]


@dataclass
class Result:
    """Latencies (ms) per route, errors per route, posts answered 2xx, over `seconds`."""

    seconds: float
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(int))
    posts_ok: int = 0

    def rate(self, route):
        return len(self.latencies.get(route, ())) / self.seconds

    def percentiles(self, route):
        values = self.latencies.get(route) or [float("nan")]
        return tuple(float(p) for p in np.percentile(values, [50, 95, 99]))


def run_load(port, credentials, clients, seconds, pick, song_count=1):
    """`clients` threads, each on its own connection, sending pick(rng) routes for `seconds`."""
    result = Result(seconds)
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)

    def worker(index):
        rng = random.Random(index)
        client = Client(port, credentials[index % len(credentials)] if credentials else None)
        start_line.wait()
        while time.monotonic() < stop_at:
            route = pick(rng)
            start = time.perf_counter()
            try:
                ok = one_request(client, route, rng, song_count) < 400
            except (OSError, http.client.HTTPException):
                ok = False
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                result.latencies[route].append(elapsed)
                if not ok:
                    result.errors[route] += 1
                elif route.startswith("post:"):
                    result.posts_ok += 1
        client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at = time.monotonic() + seconds
    start_line.wait()
    for thread in threads:
        thread.join()
    return result


def warm_caches(port, credentials, routes, clients):
    """Every user asks every route once, `clients` at a time (fills the recommendation cache)."""
    jobs = [(creds, route) for creds in credentials for route in routes]
    lock, rng = threading.Lock(), random.Random(0)

    def worker():
        clients_by_user = {}
        while True:
            with lock:
                if not jobs:
                    break
                creds, route = jobs.pop()
            client = clients_by_user.setdefault(id(creds), Client(port, creds))
            try:
                one_request(client, route, rng, 1)
            except (OSError, http.client.HTTPException):
                pass
        for client in clients_by_user.values():
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def stall_probe(port, credentials, gets=5):
    """A profile save (new text to embed) right after the start, and plain GETs beside it.

    Returns (save ms, its status, slowest GET beside it ms, slowest of the same GETs alone ms): with
    one thread per worker the GETs beside the save wait for it.
    """
    client, other = Client(port, credentials), Client(port, credentials)
    _, body = client.request(
        "GET", "/api/v1/me", headers={"Authorization": f"Bearer {credentials.api_token}"}
    )
    me = json.loads(body)
    # A bio never saved before, so the save embeds new text (an unchanged one reuses its vector).
    bio = f"Bench probe at {time.time():.6f}: late-night drives, rainy mornings."
    form = [("csrf_token", credentials.csrf), ("age", me["age"] or ""), ("bio", bio)]
    form += [("emotions", e) for e in me["emotions"]] + [("tags", t) for t in me["tags"]]
    outcome = {}

    def save():
        start = time.perf_counter()
        outcome["status"], _ = client.request(
            "POST", "/profile/", urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        outcome["ms"] = (time.perf_counter() - start) * 1000

    def slowest_get():
        slowest = 0.0
        for _ in range(gets):
            start = time.perf_counter()
            other.request("GET", "/songs/")
            slowest = max(slowest, (time.perf_counter() - start) * 1000)
        return slowest

    saver = threading.Thread(target=save)
    saver.start()
    time.sleep(0.05)
    beside = slowest_get()
    saver.join()
    alone = slowest_get()
    other.close()
    client.close()
    return outcome.get("ms", float("nan")), outcome.get("status"), beside, alone


def environment(instance, cache, qdrant_url=None):
    """The app's environment for this instance; cache "miss" turns the recommendation cache off."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{instance}/music.db",
        "VECTORS_PATH": f"{instance}/vectors",
        "SECRET_KEY": "bench-" + "k" * 32,
        "FLASK_APP": "app",
        "ITEM_MODEL_PATH": f"{instance}/item_model.npz",
    }
    for name in (
        "QDRANT_URL",
        "QDRANT_LOCATION",
        "GUNICORN_CMD_ARGS",
        "GUNICORN_WORKERS",
        "GUNICORN_THREADS",
        "WORKERS",
    ):
        env.pop(name, None)
    if qdrant_url:
        env["QDRANT_URL"] = qdrant_url
    env["RECOMMENDATION_CACHE_TTL"] = "0" if cache == "miss" else env.get("RECOMMENDATION_CACHE_TTL", "300")
    return env


@contextmanager
def server_environment(instance: str, cache: str) -> Iterator[dict[str, str]]:
    """The app's environment in server mode: a throwaway PostgreSQL and Redis, vectors in memory.

    No Qdrant server can run here, so QDRANT_LOCATION=":memory:": each worker of
    bench/server_mode_app.py fills its own store from the vectors in SQL as it starts. Both servers
    are stopped on the way out.
    """
    import sqlalchemy as sa

    from tests.servers import start_postgres, start_redis  # the one starter of both (tests/servers.py)

    postgres = start_postgres()
    try:
        redis_server = start_redis()
        try:
            engine = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(sa.text('CREATE DATABASE "songbird_bench"'))
            engine.dispose()
            env = environment(instance, cache)
            for name in ("VECTORS_PATH", "CACHE_TYPE", "CACHE_REDIS_URL", "RATELIMIT_STORAGE_URI"):
                env.pop(name, None)  # REDIS_URL alone puts the cache and the rate limits in Redis
            env.update(
                DATABASE_URL=postgres.database_url("songbird_bench"),
                REDIS_URL=redis_server.url,
                QDRANT_LOCATION=":memory:",
            )
            yield env
        finally:
            redis_server.stop()
    finally:
        postgres.stop()
