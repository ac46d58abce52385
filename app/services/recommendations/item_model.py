"""The process's item model: loaded or fitted off the request path, refreshed in the background.

A request only ever reads the model that is there (or None, before the first fit finishes: the
item-based list is then empty and For you fuses the others). Fitting happens in a thread:
at process start (wsgi.py), after activity (at most once per ITEM_MODEL_REFRESH_SECONDS), and from
`flask seed item-model`, which also saves it to ITEM_MODEL_PATH so a starting server loads it in a
fraction of a second instead of fitting. Each worker holds its own copy; all fit the same SQL.

With several workers only one fits at a time (background.JobLock, in Redis when REDIS_URL is set):
the others wait, then find the model it saved to ITEM_MODEL_PATH (a file they share on one machine)
and load it instead of fitting the same data again.
"""

import hashlib
import logging
import os
import tempfile
import threading
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app
from numpy.typing import NDArray

from ...extensions import db, per_app
from ...models import ActivityEvent
from ...recommend.item_model import MAX_ITEMS, ItemModel, fit_item_model_from_pairs
from ..ops.background import JobLock, OneThread
from .sql_catalog import positive_states

log = logging.getLogger(__name__)

PathArg = str | os.PathLike[str]

EXTENSION = "item_model"
LOCK_NAME = "item-model-fit"


def data_version() -> str:
    """A digest of what the model is fitted from: the database and its activity log's size and head."""
    count, head = db.session.execute(sa.select(sa.func.count(), sa.func.max(ActivityEvent.id))).one()
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    return hashlib.sha1(f"{url}|{count}|{head}".encode()).hexdigest()[:12]


def positive_pairs() -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(user ids, song ids) of every positive user-song state, as arrays (no dict per user: 1M rows
    fit in 8 MB)."""
    users, songs = array("q"), array("q")
    for user_id, song_id, _ in positive_states():
        users.append(user_id)
        songs.append(song_id)
    return np.frombuffer(users, dtype=np.int64), np.frombuffer(songs, dtype=np.int64)


def fit_from_database(max_items: int = MAX_ITEMS) -> ItemModel | None:
    """A model of the database's current positives, versioned by data_version()."""
    version = data_version()
    users, songs = positive_pairs()
    return fit_item_model_from_pairs(users, songs, max_items=max_items, version=version)


def save_model(model: ItemModel, path: PathArg) -> None:
    """Write the model atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".item_model-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, item_ids=model.item_ids, weights=model.weights, version=np.array(model.version))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: PathArg) -> ItemModel | None:
    """The saved model, or None when there is none or it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as data:
            ids = data["item_ids"]
            index = {int(i): r for r, i in enumerate(ids)}
            return ItemModel(ids, data["weights"], str(data["version"]), index)
    except (OSError, KeyError, ValueError) as exc:
        if Path(path).exists():
            log.warning("item model at %s unreadable, refitting: %s", path, exc)
        return None


class ItemModelHolder:
    """The current model of one process and the thread that replaces it."""

    def __init__(self, app: Flask, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.model: ItemModel | None = None
        self._lock = threading.Lock()  # guards the timer
        self._fit = OneThread(self._run, "item-model-fit")
        self._job_lock = JobLock(
            LOCK_NAME,
            app.config.get("REDIS_URL"),
            expire_s=float(app.config.get("ITEM_MODEL_LOCK_SECONDS", 120)),
            socket_options=app.config.get("REDIS_SOCKET_OPTIONS"),
        )
        self._timer: threading.Timer | None = None
        self._last_start: float | None = None
        self._stale = False

    @property
    def version(self) -> str:
        """The current model's version ('' before the first), part of every cached list's key."""
        model = self.model
        return model.version if model is not None else ""

    def current(self) -> ItemModel | None:
        """The model there is now; the first call starts loading one (inline when configured so)."""
        if (self.model is None and self._last_start is None) or (self._stale and self._inline):
            self.refresh()
        return self.model

    @property
    def _inline(self) -> bool:
        return self.app.config.get("ITEM_MODEL_REFRESH") == "inline"

    def refresh(self, wait: bool = False) -> None:
        """Load or fit a new model: in a thread, or inline under ITEM_MODEL_REFRESH='inline' or wait=True."""
        if wait or self._inline:
            self._starting()
            self._run()
            return
        self._fit.start(before=self._starting)

    def _starting(self) -> None:
        self._last_start, self._stale = self.clock(), False

    def note_activity(self) -> None:
        """Activity changed the data: refit now, or once the minimum interval since the last fit has
        passed."""
        self._stale = True
        if self._inline:
            return  # refitted by the next current()
        interval = float(self.app.config.get("ITEM_MODEL_REFRESH_SECONDS", 300))
        since = None if self._last_start is None else self.clock() - self._last_start
        if since is None or since >= interval:
            self.refresh()
            return
        with self._lock:
            if self._timer is None or not self._timer.is_alive():
                self._timer = threading.Timer(interval - since, self.refresh)
                self._timer.daemon = True
                self._timer.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a running fit (tests and the CLI)."""
        self._fit.join(timeout)

    def close(self) -> None:
        """Stop a pending timer (the app is going away)."""
        if self._timer is not None:
            self._timer.cancel()

    def _up_to_date(self, path: PathArg | None) -> bool:
        """True when the model held, or the one saved at `path` (then loaded), is of today's data."""
        wanted = data_version()
        if self.model is not None and self.model.version == wanted:
            return True
        saved = load_model(path) if path else None
        if saved is not None and saved.version == wanted:
            self.model = saved
            log.info("item model loaded from %s (%d items)", path, len(saved.item_ids))
            return True
        return False

    def _run(self) -> None:
        try:
            with self.app.app_context():
                path = self.app.config.get("ITEM_MODEL_PATH")
                if self._up_to_date(path):
                    return
                db.session.close()  # no connection held, idle in a transaction, while waiting below
                with self._job_lock.held():
                    # Another worker may have fitted and saved this data's model while this one waited.
                    if self._up_to_date(path):
                        return
                    started = time.perf_counter()
                    model = fit_from_database(int(self.app.config.get("ITEM_MODEL_MAX_ITEMS", MAX_ITEMS)))
                    if model is not None and path:
                        save_model(model, path)
                    self.model = model
                log.info(
                    "item model fitted in %.1f s (%s items)",
                    time.perf_counter() - started,
                    0 if model is None else len(model.item_ids),
                )
        except Exception:  # a failed fit keeps the previous model; the next activity tries again
            log.exception("item model fit failed")


def holder(app: Flask | None = None) -> ItemModelHolder:
    """The app's holder, created on first use."""
    return cast(ItemModelHolder, per_app(EXTENSION, ItemModelHolder, app))


def current_model() -> ItemModel | None:
    """The model requests use now (never waits for a fit, except under ITEM_MODEL_REFRESH='inline')."""
    return holder().current()


def model_version() -> str:
    """The current model's version, for cache keys."""
    return holder().version
