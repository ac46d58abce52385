"""A per-user cache of finished recommendation lists: keys, freshness, and the versions that invalidate.

A key names everything a list depends on that can change at once: the user and their `rec_version`,
the global model version, the approach, k and the filters. `rec_version` lives in the users table,
is bumped in the same transaction as the change that makes a list stale (the user's own activity,
a profile save, an admin's edit or deletion of a song), and flask-login loads the user afresh on
every request; so after a bump every worker, whatever its cache backend, looks up a new key and
recomputes. What no version tracks (other users' activity, imports, new songs) reaches a list
within the TTL.

Entries are stored as (computed_at, result) and their age is judged against an injectable clock
(`app.extensions["recommendation_cache_clock"]`, time.time by default), so tests move time forward
instead of sleeping. The backend's own timeout is the TTL too, so entries are also evicted.

With RedisCache (REDIS_URL) every worker reads and writes the same lists. The cache is only an
optimisation: when its server is down a request computes its list and is served all the same, and
the cache is then left alone for RETRY_SECONDS at a time (one warning per outage), so requests do
not each pay a failed connection twice.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from hashlib import blake2b
from typing import Any, cast
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask, current_app

from ...extensions import cache, db, per_app
from ...models import User
from ...recommend.items import Filters
from ...recommend.registry import USES_ITEM_MODEL

log = logging.getLogger(__name__)

# 300 s: a neighbour's like moves another user's collaborative list only a little, so five minutes
# of delay goes unnoticed, while one person moving between tabs, paging or reloading within a visit
# is served from the cache instead of three engines (tens of ms, hundreds under load). The user's
# own changes never wait for it: they bump rec_version.
DEFAULT_TTL = 300
CLOCK = "recommendation_cache_clock"  # key in app.extensions; tests put a fake clock there
MAX_KEY = 200  # memcached refuses keys over 250 bytes; longer keys are hashed
# After a failed get or set, the backend is left alone this long. Each try against a down Redis costs
# a request a refused connection (under 1 ms here) or, where packets are dropped, the connect timeout
# (0.5 s, app/config.py); 10 s keeps that to one request in ten seconds per worker, and a Redis that
# is back is used again within 10 s.
RETRY_SECONDS = 10.0
OUTAGE = "recommendation_cache_outage"  # key in app.extensions


class Outage:
    """Whether the cache backend failed lately, and until when it is skipped (one per app)."""

    def __init__(self, _app: Flask | None = None) -> None:
        self.down_since: float | None = None
        self.retry_at = 0.0
        self._lock = threading.Lock()

    def skip(self, now: float) -> bool:
        """True while the backend is left alone after a failure."""
        return self.down_since is not None and now < self.retry_at

    def failed(self, now: float, exc: Exception) -> None:
        with self._lock:
            first = self.down_since is None
            if first:
                self.down_since = now
            self.retry_at = now + RETRY_SECONDS
        if first:
            log.warning(
                "recommendation cache unavailable (%s): lists are computed and not cached; "
                "trying it again every %.0f s",
                exc,
                RETRY_SECONDS,
            )

    def answered(self, now: float) -> None:
        if self.down_since is None:
            return
        with self._lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.warning("recommendation cache answers again after %.0f s", now - since)


def outage() -> Outage:
    """This app's record of its cache backend's failures."""
    return cast(Outage, per_app(OUTAGE, Outage))


def _no_model_version() -> str:
    return ""


_model_version: Callable[[], str] = _no_model_version


def register_model_version(fn: Callable[[], str]) -> Callable[[], str]:
    """Make `fn` the source of the global model version: a new value makes every cached list stale.

    The item model plugs its version in here, so lists built from an older model are not served
    once it is refitted. Until then the version is "". Returns the previous source (to restore it).
    """
    global _model_version
    previous, _model_version = _model_version, fn
    return previous


def model_version() -> str:
    """The global model version that is part of every key."""
    return str(_model_version())


def ttl() -> int:
    """Seconds a list stays fresh; 0 or less turns the cache off."""
    return int(current_app.config.get("RECOMMENDATION_CACHE_TTL", DEFAULT_TTL))


def clock() -> float:
    """Now, in seconds, from the app's clock (a fake one in tests)."""
    now: Callable[[], float] = current_app.extensions.get(CLOCK, time.time)
    return now()


def _part(value: str | None) -> str:
    # Quoted, so a genre holding ':' or a space can neither break a backend's key rules nor make
    # two different filter sets spell the same key.
    return "" if value is None else quote(value, safe="")


def cache_key(user_id: int, version: int, approach: str, k: int, filters: Filters) -> str:
    """The key of one list: user, their version, the model version, approach, k and every filter."""
    model = model_version() if approach in USES_ITEM_MODEL else ""
    key = (
        f"rec:{user_id}:{version}:{_part(model)}:{approach}:{k}:"
        f"{int(bool(filters.no_explicit))}:{_part(filters.genre)}:{_part(filters.emotion)}"
    )
    if len(key) > MAX_KEY:
        key = f"rec:{user_id}:{version}:h:" + blake2b(key.encode(), digest_size=16).hexdigest()
    return key


def get(key: str) -> dict[str, Any] | None:
    """The cached result under key when it is younger than the TTL, else None.

    Every backend (SimpleCache included) stores a pickled copy, so what comes back is the caller's
    own object: mutating it cannot change what the next request gets.
    """
    limit = ttl()
    if limit <= 0:
        return None
    now, state = clock(), outage()
    if state.skip(now):
        return None
    try:
        entry = cache.get(key)
    except Exception as exc:  # a cache server that is down must cost a recomputation, not an error
        state.failed(now, exc)
        return None
    state.answered(now)
    if entry is None:
        return None
    computed_at, result = entry
    if now - computed_at >= limit:
        return None
    return cast(dict[str, Any], result)


def put(key: str, result: dict[str, Any]) -> None:
    """Keep a finished result under key, stamped with the clock's now. Degraded results are refused."""
    limit = ttl()
    if limit <= 0 or result.get("degraded"):
        # A degraded list is popular songs standing in while the vector store is down: caching it
        # would keep serving it for the TTL after the store is back.
        return
    now, state = clock(), outage()
    if state.skip(now):
        return
    try:
        cache.set(key, (now, result), timeout=limit)
    except Exception as exc:
        state.failed(now, exc)


def bump_versions(user_ids: Iterable[int] | None = None) -> None:
    """Make the cached lists of these users (of every user when None) stale, in the caller's transaction.

    Adds the increment to the session without committing: the caller commits it with the change it
    belongs to, so both happen or neither. The increment is done by SQL, so two concurrent bumps of
    one user both count.
    """
    statement = sa.update(User).values(rec_version=User.rec_version + 1)
    if user_ids is not None:
        ids = list(user_ids)
        if not ids:
            return
        statement = statement.where(User.id.in_(ids))
    db.session.execute(statement)
