"""State shared between workers through Redis (REDIS_URL): the recommendation cache, the throttling
counters and the item model's refit lock, shown with two app instances on one PostgreSQL database
and one Redis; and what happens when Redis is down. tests/test_two_workers.py does the same with
real gunicorn workers.

Two apps in one process share one Flask-Limiter object (app/throttle.py declares its limits on it),
so here the counters' sharing is shown by where they live (in Redis); that separate processes count
together is tests/test_two_workers.py's part.
"""

import logging
import threading
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.config import Config, redis_settings
from app.extensions import cache, db, embedder, vector_store
from app.models import User
from app.services.ops.background import JobLock
from app.services.recommendations import cache as rc
from app.services.recommendations import item_model as service
from app.services.recommendations import lists as recs

from .api_support import bearer, new_token
from .conftest import DEMO_CATALOG, AuthActions
from .fakes import HashingEmbedder
from .servers import free_port, missing_postgres, missing_redis, start_postgres, start_redis

LOGIN_LIMIT = 3
LIMITS = {
    "LOGIN_LIMIT_PER_ACCOUNT": f"{LOGIN_LIMIT} per 10 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "100 per 10 minutes",
}
REDIS_ENV = ("REDIS_URL", "CACHE_REDIS_URL", "CACHE_TYPE", "RATELIMIT_STORAGE_URI")


# ---- configuration: what REDIS_URL turns on (no server needed) -------------------------------------


def test_redis_url_alone_puts_the_cache_the_counters_and_the_lock_in_redis(tmp_path, monkeypatch):
    for name in REDIS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    alone = Config.from_env(tmp_path)
    assert (alone["REDIS_URL"], alone["CACHE_TYPE"], alone["RATELIMIT_STORAGE_URI"]) == (
        None,
        "SimpleCache",
        "memory://",
    )
    assert "CACHE_OPTIONS" not in alone and "RATELIMIT_STORAGE_OPTIONS" not in alone

    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    shared = Config.from_env(tmp_path)
    assert (
        shared["REDIS_URL"]
        == shared["CACHE_REDIS_URL"]
        == shared["RATELIMIT_STORAGE_URI"]
        == "redis://redis:6379/0"
    )
    assert shared["CACHE_TYPE"] == "RedisCache"
    # A Redis that drops packets must not hold a request for the OS's connect timeout.
    assert shared["CACHE_OPTIONS"]["socket_connect_timeout"] <= 1
    assert shared["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] <= 1

    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("CACHE_REDIS_URL", "redis://cache:6379/1")
    own = Config.from_env(tmp_path)
    assert own["RATELIMIT_STORAGE_URI"] == "memory://" and "RATELIMIT_STORAGE_OPTIONS" not in own
    assert own["CACHE_REDIS_URL"] == "redis://cache:6379/1" and own["REDIS_URL"] == "redis://redis:6379/0"


def test_tests_never_pick_up_a_developers_redis(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["REDIS_URL"] is None and app.config["CACHE_TYPE"] == "SimpleCache"


def test_a_failing_cache_is_left_alone_for_a_while_and_used_again_once_it_answers(monkeypatch, caplog):
    """The cache is an optimisation: a failing backend costs a recomputation, never an error, and
    is not asked again on every request (one warning per outage)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    now = [1_000.0]
    app.extensions[rc.CLOCK] = lambda: now[0]
    calls, broken = [], [True]

    def get(key):
        calls.append(key)
        if broken[0]:
            raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")
        return None

    with app.app_context():
        monkeypatch.setattr(cache, "get", get)
        caplog.set_level(logging.WARNING, logger=rc.__name__)
        assert rc.get("k") is None and len(calls) == 1
        rc.put("k", {"items": []})  # skipped: the backend failed a moment ago
        now[0] += rc.RETRY_SECONDS / 2
        assert rc.get("k") is None and len(calls) == 1  # still left alone
        said = [r.message for r in caplog.records if r.name == rc.__name__]
        assert len(said) == 1 and "unavailable" in said[0] and "Connection refused" in said[0]
        now[0] += rc.RETRY_SECONDS
        broken[0] = False
        assert rc.get("k") is None and len(calls) == 2  # asked again, and it answers
        said = [r.message for r in caplog.records if r.name == rc.__name__]
        assert len(said) == 2 and "answers again" in said[1]
        assert rc.get("k") is None and len(calls) == 3


# ---- two app instances on PostgreSQL and Redis -------------------------------------------------------


@pytest.fixture(scope="module")
def servers():
    reason = missing_postgres() or missing_redis()
    if reason:
        pytest.skip(f"shared-state tests need PostgreSQL and Redis: {reason}")
    postgres = start_postgres()
    try:
        redis_server = start_redis()
    except BaseException:
        postgres.stop()
        raise
    yield postgres, redis_server
    redis_server.stop()
    postgres.stop()


@pytest.fixture
def redis_client(servers):
    import redis

    client = redis.Redis.from_url(servers[1].url)
    client.flushall()  # each test starts with no cached lists, counters or locks
    yield client
    client.close()


@pytest.fixture
def database_url(servers):
    """A fresh database on the module's cluster."""
    postgres = servers[0]
    name = "shared_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return postgres.database_url(name)


def instance(database_url, redis_url, tmp_path, **extra):
    """One app instance as a worker would build it: its settings from redis_settings(REDIS_URL)."""
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "QDRANT_LOCATION": ":memory:",
        "ITEM_MODEL_PATH": str(tmp_path / "item_model.npz"),
        **LIMITS,
    }
    if redis_url:
        settings.update(redis_settings(redis_url))
    settings.update(extra)
    app = create_app(settings)
    embedder.override(app, HashingEmbedder())
    return app


@pytest.fixture
def pair(servers, redis_client, database_url, tmp_path):
    """Instances A and B on one database and one Redis, A having seeded the demo catalog.

    B uses A's vector store: the stand-in for the Qdrant server that server mode shares.
    """
    from app.services.catalog.imports import import_spotify_csv
    from app.services.indexing.song_vectors import embed_songs
    from app.services.indexing.user_vectors import refresh_all_user_vectors
    from app.services.ops import seeding

    a = instance(database_url, servers[1].url, tmp_path)
    with a.app_context():
        upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=120)
        seeding.seed_users(3, seed=3)
        seeding.seed_activities(per_user=15, seed=3)
        embed_songs()
        refresh_all_user_vectors()
        store = vector_store()
    b = instance(database_url, servers[1].url, tmp_path)
    vector_store.override(b, store)
    yield a, b
    for app in (a, b):
        with app.app_context():
            db.engine.dispose()
    store.close()


@pytest.fixture
def computed(monkeypatch):
    """The lists computed from scratch (cache misses), in both instances."""
    calls = []
    real = recs._compute

    def counting(user, approach, k, filters):
        calls.append(approach)
        return real(user, approach, k, filters)

    monkeypatch.setattr(recs, "_compute", counting)
    return calls


def for_you(client, token):
    response = client.get(
        "/api/v1/me/recommendations", headers=bearer(token), query_string={"approach": "for_you", "k": 10}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["degraded"] is False
    return [item["song"]["id"] for item in body["items"]]


def user_id(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def test_a_list_cached_by_one_instance_is_a_hit_on_the_other_and_a_like_on_either_invalidates_it(
    pair, computed, redis_client
):
    a, b = pair
    uid = user_id(a, "user0")
    token = new_token(a, uid)
    first = for_you(b.test_client(), token)
    assert first and computed == ["for_you"]
    assert redis_client.keys(f"*rec:{uid}:*:for_you:*")  # the list lives in Redis ...
    assert for_you(a.test_client(), token) == first
    assert computed == ["for_you"]  # ... so A serves B's list without computing it

    liked = first[0]
    response = a.test_client().post(
        "/api/v1/me/activities", headers=bearer(token), json={"song_id": liked, "action": "like"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    after = for_you(b.test_client(), token)
    assert liked not in after and after != first  # B's very next answer has changed
    assert computed == ["for_you", "for_you"]


def test_failed_logins_on_two_instances_count_in_redis_against_one_limit(pair, redis_client):
    a, b = pair
    clients = [a.test_client(), b.test_client()]
    for attempt in range(LOGIN_LIMIT):
        response = AuthActions(clients[attempt % 2]).login("user1", "wrong password")
        assert response.status_code == 400, attempt
    counters = [key for key in redis_client.keys("*LIMITER*") if b"account:user1" in key]
    assert len(counters) == 1 and int(redis_client.get(counters[0])) == LOGIN_LIMIT
    for client in clients:  # the next attempt is refused on either, the right password too
        assert AuthActions(client).login("user1", "user1@000").status_code == 429


@pytest.fixture
def slow_fits(monkeypatch):
    """Each fit waits for `release` after saying `started`; `fits` counts them."""
    state = type("Fits", (), {})()
    state.fits, state.started, state.release = [], threading.Event(), threading.Event()
    real = service.fit_from_database

    def slow(*args, **kwargs):
        state.fits.append(threading.current_thread().name)
        state.started.set()
        assert state.release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "fit_from_database", slow)
    return state


def refresh_in_thread(app, name):
    holder = service.holder(app)
    thread = threading.Thread(target=holder.refresh, kwargs={"wait": True}, name=name, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "in-process"])
def test_one_instance_fits_the_item_model_while_the_other_waits_then_loads_it(
    servers, redis_client, database_url, tmp_path, slow_fits, shared
):
    redis_url = servers[1].url if shared else None
    a, b = (instance(database_url, redis_url, tmp_path) for _ in range(2))
    with a.app_context():
        upgrade()
        from app.services.catalog.imports import import_spotify_csv
        from app.services.ops import seeding

        import_spotify_csv(DEMO_CATALOG, limit=60)
        seeding.seed_users(3, seed=3)
        seeding.seed_activities(per_user=15, seed=3)
    first = refresh_in_thread(a, "fit-a")
    assert slow_fits.started.wait(30)
    # The lock is in Redis when REDIS_URL is set (another machine's worker would see it), else in the process.
    assert bool(redis_client.exists(JobLock.PREFIX + service.LOCK_NAME)) is shared
    second = refresh_in_thread(b, "fit-b")
    second.join(0.5)
    assert second.is_alive() and slow_fits.fits == ["fit-a"]  # B waits for A's fit instead of fitting too
    slow_fits.release.set()
    first.join(30)
    second.join(30)
    assert slow_fits.fits == ["fit-a"]  # B loaded what A saved
    assert service.holder(b).model is not None
    assert service.holder(b).model.version == service.holder(a).model.version
    for app in (a, b):
        with app.app_context():
            db.engine.dispose()


def test_a_lock_held_in_redis_by_another_process_holds_off_this_ones_fit(
    servers, redis_client, database_url, tmp_path, slow_fits
):
    app = instance(database_url, servers[1].url, tmp_path)
    with app.app_context():
        upgrade()
    elsewhere = redis_client.lock(JobLock.PREFIX + service.LOCK_NAME, timeout=30)
    assert elsewhere.acquire(blocking=False)  # as another machine's worker would, mid-fit
    slow_fits.release.set()
    waiting = refresh_in_thread(app, "fit")
    waiting.join(0.5)
    assert waiting.is_alive() and slow_fits.fits == []
    elsewhere.release()
    waiting.join(30)
    assert not waiting.is_alive() and slow_fits.fits == ["fit"]
    with app.app_context():
        db.engine.dispose()


# ---- Redis down -----------------------------------------------------------------------------------------


@pytest.fixture
def dead_redis_app(servers, database_url, tmp_path):
    """A seeded instance whose REDIS_URL reaches nothing (set up here: the migrations' logging
    configuration replaces the handlers that caplog reads)."""
    from app.services.catalog.imports import import_spotify_csv
    from app.services.indexing.song_vectors import embed_songs
    from app.services.indexing.user_vectors import refresh_all_user_vectors
    from app.services.ops import seeding

    app = instance(database_url, f"redis://127.0.0.1:{free_port()}/0", tmp_path)
    with app.app_context():
        upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=60)
        seeding.seed_users(2, seed=3)
        seeding.seed_activities(per_user=10, seed=3)
        embed_songs()
        refresh_all_user_vectors()
    yield app
    with app.app_context():
        db.engine.dispose()
    vector_store.close(app)


def test_with_redis_down_requests_are_served_logins_still_throttled_and_the_model_fitted(
    dead_redis_app, caplog, computed
):
    """Nothing listens at REDIS_URL: lists are computed (and served), throttling counts in each process
    (Flask-Limiter's in-memory fallback, the same limits), and the item model is fitted under the
    process lock."""
    app = dead_redis_app
    caplog.set_level(logging.INFO)
    token = new_token(app, user_id(app, "user0"))
    client = app.test_client()
    assert for_you(client, token) == for_you(client, token)
    assert computed == ["for_you", "for_you"]  # no cache: each request computes, none fails
    cache_warnings = [r for r in caplog.records if "recommendation cache unavailable" in r.message]
    assert len(cache_warnings) == 1  # one warning for the outage, not one per request
    assert any("Redis unavailable" in r.message and "process's lock" in r.message for r in caplog.records)
    assert any(r.message.startswith("item model fitted") for r in caplog.records)

    for attempt in range(LOGIN_LIMIT):
        assert AuthActions(client).login("user1", "wrong password").status_code == 400, attempt
    assert AuthActions(client).login("user1", "user1@000").status_code == 429
    assert any("falling back to in-memory" in r.message for r in caplog.records)
