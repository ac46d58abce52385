"""Real gunicorn, two workers, on PostgreSQL and Redis: what the workers share.

gunicorn -c gunicorn.conf.py serves tests/two_workers_app.py (wsgi.py's app with the embedder
double, each worker's vectors in memory, filled from SQL). Each test talks to both workers through
keep-alive connections, which a gthread worker keeps serving, so every request's worker is known
(and checked, by the X-Worker-Pid header). Shown: one session and one database; a list cached by
one worker served by the other, and a like through either changing it; failed logins counted
together; the item model fitted by one worker and loaded by the other.
"""

import os
import pickle
import re
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from .conftest import DEMO_CATALOG
from .fakes import HashingEmbedder
from .servers import free_port, missing_postgres, missing_redis, start_postgres, start_redis

ROOT = Path(__file__).resolve().parent.parent
LOGIN_LIMIT = 4
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')  # templates/base.html, on every page
MODEL_LOCK = "songbird:lock:item-model-fit"  # ops.background.JobLock.PREFIX + item_model.LOCK_NAME
START_TIMEOUT_S = 240  # two workers importing torch side by side on a busy 2-core machine
# The environment of the test run that must not reach the server (it is configured below).
DROPPED = (
    "QDRANT_URL",
    "QDRANT_API_KEY",
    "VECTORS_PATH",
    "CACHE_TYPE",
    "CACHE_REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "WORKERS",
    "PYTEST_CURRENT_TEST",
)


class Browser:
    """One person's cookies, sent on whichever connection they use."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def keep(self, headers) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)


class Worker:
    """A keep-alive connection: every request on it is served by one gunicorn worker."""

    def __init__(self, port: int, browser: Browser) -> None:
        self.connection = HTTPConnection("127.0.0.1", port, timeout=60)
        self.browser = browser
        self.pid: int | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.browser.header()}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        pid = int(response.headers["X-Worker-Pid"])
        assert self.pid in (None, pid), "a keep-alive connection moved to another worker"
        self.pid = pid
        self.browser.keep(response.headers)
        return response.status, text

    def json(self, path: str):
        import json

        status, text = self.request("GET", path)
        assert status == 200, text[:500]
        return json.loads(text)

    def post_form(self, page: str, path: str, fields: dict) -> int:
        """POST a form with the CSRF token of `page`, as a browser would."""
        status, html = self.request("GET", page)
        assert status == 200, html[:500]
        return self.request("POST", path, {"csrf_token": CSRF.search(html).group(1), **fields})[0]

    def login(self, username: str, password: str) -> int:
        return self.post_form("/auth/login", "/auth/login", {"username": username, "password": password})

    def close(self) -> None:
        self.connection.close()


def find_two_workers(port: int, browser: Browser, attempts: int = 40) -> tuple[Worker, Worker] | None:
    """Two connections served by the two different workers (new connections land on either), or None."""
    found: dict[int, Worker] = {}
    for _ in range(attempts):
        worker = Worker(port, browser)
        worker.request("GET", "/auth/login")
        if worker.pid in found:
            worker.close()
        else:
            found[worker.pid] = worker
        if len(found) == 2:
            return tuple(found.values())
    for worker in found.values():
        worker.close()
    return None


def two_workers(port: int, browser: Browser) -> tuple[Worker, Worker]:
    found = find_two_workers(port, browser)
    if found is None:
        pytest.fail("new connections all reached one worker")
    return found


@dataclass
class Served:
    port: int
    log: Path
    redis: object
    pids: set
    log_while_locked: str
    item_based_while_locked: list


def seed(database_url: str) -> None:
    """The demo catalog's first 150 songs, 3 users with activity, and every vector, in PostgreSQL."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db, embedder, vector_store
    from app.services.catalog.imports import import_spotify_csv
    from app.services.indexing.song_vectors import embed_songs
    from app.services.indexing.user_vectors import refresh_all_user_vectors
    from app.services.ops import seeding

    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "QDRANT_LOCATION": ":memory:"}
    app = create_app(settings)
    embedder.override(app, HashingEmbedder())
    with app.app_context():
        upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=150)
        seeding.seed_users(3, seed=5)
        seeding.seed_activities(per_user=20, seed=5)
        embed_songs()
        refresh_all_user_vectors()
        db.engine.dispose()
    vector_store.close(app)


def wait_for(condition, timeout: float, what: str, proc, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited ({proc.returncode}) waiting for {what}:\n{log.read_text()[-4000:]}")
        try:
            result = condition()
        except (ConnectionError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn with 2 workers, started while the item model's lock is held, then let go."""
    reason = missing_postgres() or missing_redis()
    if reason:
        pytest.skip(f"the two-worker test needs PostgreSQL and Redis: {reason}")
    import redis

    tmp = tmp_path_factory.mktemp("two-workers")
    postgres = start_postgres()
    redis_server = start_redis()
    proc = None
    try:
        name = "workers_" + uuid.uuid4().hex[:8]
        engine = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        database_url = postgres.database_url(name)
        seed(database_url)

        client = redis.Redis.from_url(redis_server.url)
        held = client.lock(MODEL_LOCK, timeout=120)
        assert held.acquire(blocking=False)  # both workers' start-up fits now wait for it

        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in DROPPED and not key.startswith("GUNICORN_")
        }
        env.update(
            DATABASE_URL=database_url,
            REDIS_URL=redis_server.url,
            QDRANT_LOCATION=":memory:",
            SECRET_KEY="two-workers-" + uuid.uuid4().hex,
            ITEM_MODEL_PATH=str(tmp / "item_model.npz"),
            EMBEDDING_WARMUP="off",
            LOGIN_LIMIT_PER_ACCOUNT=f"{LOGIN_LIMIT} per 15 minutes",
            GUNICORN_WORKERS="2",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_ACCESSLOG="",
            GUNICORN_CMD_ARGS="--keep-alive 120",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
        )
        log = tmp / "gunicorn.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tests.two_workers_app:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        browser = Browser()
        a, b = wait_for(lambda: find_two_workers(port, browser), START_TIMEOUT_S, "two workers", proc, log)
        assert a.login("user0", "user0@000") == 302
        query = "/api/v1/me/recommendations?approach=item_based&k=5"
        item_based = [a.json(query)["items"], b.json(query)["items"]]
        while_locked = log.read_text()
        held.release()

        def both_models():
            text = log.read_text()
            return "item model fitted" in text and "item model loaded" in text

        wait_for(both_models, 60, "item model on both workers", proc, log)
        a.close()
        b.close()
        yield Served(port, log, client, {a.pid, b.pid}, while_locked, item_based)
    finally:
        if proc is not None:
            proc.terminate()  # the master stops its workers
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        redis_server.stop()
        postgres.stop()


def test_one_worker_fits_the_item_model_and_the_other_loads_what_it_saved(served):
    # While the lock was held neither worker had a model: both waited rather than fitting.
    assert "item model" not in served.log_while_locked
    assert served.item_based_while_locked == [[], []]
    lines = served.log.read_text().splitlines()
    fitted = [line for line in lines if "item model fitted" in line]
    loaded = [line for line in lines if "item model loaded" in line]
    assert len(fitted) == 1 and len(loaded) == 1, "\n".join(fitted + loaded)
    pid = re.compile(r"\[worker (\d+)\]")
    assert {int(pid.search(fitted[0]).group(1)), int(pid.search(loaded[0]).group(1))} == served.pids


def cached_for_you(redis_client, user_id: int) -> list[bytes]:
    return redis_client.keys(f"*rec:{user_id}:*:for_you:10:*")


def test_a_list_cached_by_one_worker_is_served_by_the_other_and_a_like_through_either_changes_it(served):
    from cachelib.serializers import RedisSerializer

    a, b = two_workers(served.port, Browser())
    assert a.login("user0", "user0@000") == 302
    me = b.json("/api/v1/me")  # A's session is good on B: one secret key, one users table
    assert me["username"] == "user0"
    query = "/api/v1/me/recommendations?approach=for_you&k=10"
    first = b.json(query)
    assert not first["degraded"] and len(first["items"]) == 10
    ids = [item["song"]["id"] for item in first["items"]]

    # B's list is in Redis. Mark it there: if A answers with the mark, A read B's entry.
    keys = cached_for_you(served.redis, me["id"])
    assert len(keys) == 1
    serializer = RedisSerializer()
    computed_at, result = serializer.loads(served.redis.get(keys[0]))
    result["items"][0]["reason"] = "marked in Redis by the test"
    served.redis.set(keys[0], serializer.dumps((computed_at, result)), keepttl=True)
    again = a.json(query)
    assert [item["song"]["id"] for item in again["items"]] == ids
    assert again["items"][0]["reason"] == "marked in Redis by the test"

    # A like through A: B sees it in the database and its next For you has changed.
    liked = ids[0]
    assert a.post_form(f"/songs/{liked}", f"/songs/{liked}/act", {"action": "like"}) == 302
    events = b.json("/api/v1/me/activities")
    assert any(e["song_id"] == liked and e["action"] == "like" for e in events["items"]), events
    after = b.json(query)
    after_ids = [item["song"]["id"] for item in after["items"]]
    assert liked not in after_ids and after_ids != ids
    assert all(item["reason"] != "marked in Redis by the test" for item in after["items"])
    a.close()
    b.close()


def test_failed_logins_on_both_workers_count_against_one_limit(served):
    a, b = two_workers(served.port, Browser())
    for attempt in range(LOGIN_LIMIT):  # alternately: each worker alone has seen half
        assert (a, b)[attempt % 2].login("user1", "wrong password") == 400, attempt
    counters = [key for key in served.redis.keys("*LIMITER*") if b"account:user1" in key]
    assert len(counters) == 1 and int(served.redis.get(counters[0])) == LOGIN_LIMIT
    # Counted per process, each worker would allow LOGIN_LIMIT attempts of its own.
    assert a.login("user1", "user1@000") == 429
    assert b.login("user1", "user1@000") == 429
    a.close()
    b.close()


def test_the_cached_entry_format_is_what_the_mark_above_relies_on():
    """cachelib's RedisSerializer (Flask-Caching's RedisCache): pickles behind a '!' byte."""
    from cachelib.serializers import RedisSerializer

    entry = (1.5, {"items": [{"reason": "r"}]})
    assert RedisSerializer().dumps(entry).startswith(b"!")
    assert RedisSerializer().loads(b"!" + pickle.dumps(entry)) == entry
