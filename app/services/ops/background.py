"""Work a process does off the request path: one daemon thread at a time per job (OneThread), and
one holder at a time across processes where a job must not run twice at once (JobLock)."""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: only deployments with REDIS_URL load redis
    from redis import Redis
    from redis.lock import Lock as RedisLock

log = logging.getLogger(__name__)


class OneThread:
    """Runs `target` in a named daemon thread, never two at once (a refit asked for during a fit is
    dropped)."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        self._target = target
        self._name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, before: Callable[[], None] = lambda: None) -> bool:
        """Start a thread unless one is running; `before` runs first, under the same lock. True if started."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            before()
            self._thread = threading.Thread(target=self._target, name=self._name, daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running thread, if any (tests, benchmarks and the CLI)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


# One lock per job name in this process: what JobLock holds when no Redis is configured (or it is down).
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def process_lock(name: str) -> threading.Lock:
    """This process's lock for the job `name` (every app of the process shares it)."""
    with _process_locks_guard:
        return _process_locks.setdefault(name, threading.Lock())


class JobLock:
    """One holder at a time of a named job: across every process through Redis when `redis_url` is
    given, else across this process's threads and apps.

    The Redis lock expires after `expire_s`, so a holder that dies mid-job holds the others up no
    longer than that; a waiter waits as long, then goes ahead. A Redis that cannot be reached is
    not a reason to skip the job: the holder falls back to the process lock and says so (the cost
    is a job done twice, by two processes, not a job never done).
    """

    PREFIX = "songbird:lock:"

    def __init__(
        self,
        name: str,
        redis_url: str | None = None,
        expire_s: float = 120.0,
        socket_options: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.redis_url = redis_url
        self.expire_s = float(expire_s)
        self._socket_options = dict(socket_options or {})
        self._client: Redis | None = None

    def _redis(self, url: str) -> "Redis":
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(url, **self._socket_options)
        return self._client

    def _acquire_shared(self) -> "RedisLock | None":
        """The acquired Redis lock, or None where this process's lock must do."""
        if not self.redis_url:
            return None
        from redis.exceptions import RedisError
        from redis.lock import Lock

        try:
            lock = Lock(
                self._redis(self.redis_url),
                self.PREFIX + self.name,
                timeout=self.expire_s,
                blocking_timeout=self.expire_s,
                thread_local=False,
            )
            if lock.acquire():
                return lock
            log.warning(
                "%s: the lock in Redis was held for %.0f s; going ahead under this process's lock",
                self.name,
                self.expire_s,
            )
        except RedisError as exc:
            log.warning("%s: Redis unavailable (%s); going ahead under this process's lock", self.name, exc)
        return None

    def _release(self, lock: "RedisLock") -> None:
        from redis.exceptions import LockError, RedisError

        try:
            lock.release()
        except LockError:  # it expired mid-job and may be someone else's now: theirs to release
            log.warning(
                "%s: the lock in Redis expired before the job ended (over %.0f s)", self.name, self.expire_s
            )
        except RedisError as exc:  # it expires by itself
            log.warning("%s: could not release the lock in Redis (%s)", self.name, exc)

    @contextmanager
    def held(self) -> Iterator[str]:
        """Hold the lock for the `with` body; yields "redis" or "process", which one is held."""
        lock = self._acquire_shared()
        if lock is not None:
            try:
                yield "redis"
            finally:
                self._release(lock)
            return
        with process_lock(self.name):
            yield "process"
