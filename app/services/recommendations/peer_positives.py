"""Users' positive songs, kept per process and re-read only for users whose activity changed.

Collaborative filtering reads the positive songs of a user's 30 nearest neighbours on every
cache miss. Read from SQL and weighed row by row in Python, that was the largest single cost of a
For you miss: 5.9 ms of ~35 ms on the 500-user demo (9.2 ms of 45 under cProfile). Here each
user's weights are kept as arrays, stamped with the user's `rec_version`, which every change of
their activity bumps in the same transaction (app/services/activity/events.py, seeding, admin deletes).
One indexed query for the neighbours' versions (0.5 ms) says whose rows to re-read: a
neighbour's like is seen on the very next request, by every worker, as it was when read from SQL.

A version read before the rows can only be older than the rows, never newer: a change committed
in between is stored under the old version and re-read next time, which costs a read, not a
stale answer.
"""

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable
from threading import Lock
from typing import cast

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from ...extensions import db, per_app
from ...models import User
from .sql_catalog import Positives, scaled_positives

EXTENSION = "peer_positives"
# 20,000 users with 50 positives each hold ~16 MB of arrays: the whole community of a
# mid-sized install, and a bound on what one worker keeps.
MAX_USERS = 20_000

# Built once, the ids bound per call (an IN list of literals is coerced value by value each time),
# Core rows: 0.83 -> 0.63 ms for 30 neighbours.
_users = User.__table__
_VERSIONS = sa.select(_users.c.id, _users.c.rec_version, _users.c.created_at).where(
    _users.c.id.in_(sa.bindparam("ids", expanding=True))
)

# (rec_version, created_at): what says whether a user's stored rows are still theirs, and current.
Stamp = tuple[int, dt.datetime]
# (song ids, weights scaled so the strongest is 1) of one user.
Arrays = tuple[NDArray[np.int64], NDArray[np.float64]]
Entry = tuple[Stamp, NDArray[np.int64], NDArray[np.float64]]


class PositivesCache:
    """{user id: ((rec_version, created_at), song ids, weights scaled so the strongest is 1)}.

    The least recently used users go first.
    """

    def __init__(self, max_users: int = MAX_USERS) -> None:
        self.max_users = max_users
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._lock = Lock()
        self.reads = 0  # users whose rows were read from SQL: what tests and benchmarks look at

    def positives(self, user_ids: Iterable[int]) -> Positives:
        """{user id: {song id: weight}} as SqlCatalog.positives answers it, from SQL only where changed."""
        user_ids = list(dict.fromkeys(user_ids))
        if not user_ids:
            return {}
        # created_at too: SQLite may give a deleted user's id to the next new user, whose
        # rec_version starts again at 0.
        versions = {
            user_id: (version, created)
            for user_id, version, created in db.session.connection().execute(_VERSIONS, {"ids": user_ids})
        }
        with self._lock:
            entries: dict[int, Entry | None] = {u: self._entries.get(u) for u in versions}
        stale = [u for u, entry in entries.items() if entry is None or entry[0] != versions[u]]
        if stale:
            fresh = _read(stale)
            with self._lock:
                for user_id in stale:
                    ids, weights = fresh.get(user_id, _EMPTY)
                    entries[user_id] = self._entries[user_id] = (versions[user_id], ids, weights)
                self.reads += len(stale)
                while len(self._entries) > self.max_users:
                    self._entries.popitem(last=False)
        with self._lock:
            for user_id in entries:
                if user_id in self._entries:
                    self._entries.move_to_end(user_id)
        # every entry is filled now: the stale ones just above
        filled = cast(dict[int, Entry], entries)
        return {
            u: dict(zip(ids.tolist(), weights.tolist()))
            for u, (_, ids, weights) in filled.items()
            if ids.size
        }

    def clear(self) -> None:
        """Forget every user (tests; a restore of the database under a running process)."""
        with self._lock:
            self._entries.clear()


_EMPTY: Arrays = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def _read(user_ids: Iterable[int]) -> dict[int, Arrays]:
    """{user id: (song ids, weights / the user's strongest)}: scaled_positives as arrays."""
    return {
        user_id: (
            np.fromiter(songs, dtype=np.int64, count=len(songs)),
            np.fromiter(songs.values(), dtype=np.float64, count=len(songs)),
        )
        for user_id, songs in scaled_positives(user_ids).items()
    }


def cache() -> PositivesCache:
    """This app's cache."""
    return cast(
        PositivesCache,
        per_app(EXTENSION, lambda app: PositivesCache(app.config.get("PEER_POSITIVES_MAX_USERS", MAX_USERS))),
    )
