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
"""

import logging
import time
from collections.abc import Callable, Iterable
from hashlib import blake2b
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app

from ..extensions import cache, db
from ..models import User
from ..recommend.items import Filters
from ..recommend.registry import USES_ITEM_MODEL

log = logging.getLogger(__name__)

# 300 s: a neighbour's like moves another user's collaborative list only a little, so five minutes
# of delay goes unnoticed, while one person moving between tabs, paging or reloading within a visit
# is served from the cache instead of three engines (tens of ms, hundreds under load). The user's
# own changes never wait for it: they bump rec_version.
DEFAULT_TTL = 300
CLOCK = "recommendation_cache_clock"  # key in app.extensions; tests put a fake clock there
MAX_KEY = 200  # memcached refuses keys over 250 bytes; longer keys are hashed

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
    return current_app.extensions.get(CLOCK, time.time)()


def _part(value: str | None) -> str:
    # Quoted, so a genre holding ':' or a space can neither break a backend's key rules nor make
    # two different filter sets spell the same key.
    return "" if value is None else quote(value, safe="")


def cache_key(user_id: int, version: int, approach: str, k: int, filters: Filters) -> str:
    """The key of one list: user, their version, the model version, approach, k and every filter."""
    model = model_version() if approach in USES_ITEM_MODEL else ""
    key = (f"rec:{user_id}:{version}:{_part(model)}:{approach}:{k}:"
           f"{int(bool(filters.no_explicit))}:{_part(filters.genre)}:{_part(filters.emotion)}")
    if len(key) > MAX_KEY:
        key = f"rec:{user_id}:{version}:h:" + blake2b(key.encode(), digest_size=16).hexdigest()
    return key


def get(key: str) -> dict | None:
    """The cached result under key when it is younger than the TTL, else None.

    Every backend (SimpleCache included) stores a pickled copy, so what comes back is the caller's
    own object: mutating it cannot change what the next request gets.
    """
    limit = ttl()
    if limit <= 0:
        return None
    try:
        entry = cache.get(key)
    except Exception as exc:  # a cache server that is down must cost a recomputation, not an error
        log.warning("recommendation cache unavailable, computing: %s", exc)
        return None
    if entry is None:
        return None
    computed_at, result = entry
    if clock() - computed_at >= limit:
        return None
    return result


def put(key: str, result: dict) -> None:
    """Keep a finished result under key, stamped with the clock's now. Degraded results are refused."""
    limit = ttl()
    if limit <= 0 or result.get("degraded"):
        # A degraded list is popular songs standing in while the vector store is down: caching it
        # would keep serving it for the TTL after the store is back.
        return
    try:
        cache.set(key, (clock(), result), timeout=limit)
    except Exception as exc:
        log.warning("recommendation cache unavailable, result not kept: %s", exc)


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
