"""Qdrant Edge shards on disk: one folder per collection, opened once, flushed at most so often, closed."""

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import qdrant_edge as qe

from .base import VectorStoreError, VectorStoreLocked
from .filters import check_name

# Small writes are durable in the write-ahead log; segments are flushed at most this often (and on
# close, and after every bulk load), so a burst of likes costs one flush, not one each.
FLUSH_SECONDS = 5.0
CONFIG_FILE = "edge_config.json"  # written by Edge itself; its presence marks a shard folder


def _locked_message(folder: Path) -> str:
    return (
        f"The vector store at {folder} is in use by another process, most likely the running "
        "server (make run / gunicorn). Stop it and rerun this command, or set QDRANT_URL to "
        "use a Qdrant server that several processes can share."
    )


class EdgeShards:
    """The shards of the collections in `path/<collection>/`, each opened on first use and kept open.

    No lock of its own: EdgeVectorStore calls it under the one lock that serialises every shard call.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._open: dict[str, qe.EdgeShard] = {}
        # collection -> (dim, sparse) that ensure_collection validated it against
        self._checked: dict[str, tuple[int, bool]] = {}
        self._flushed: dict[str, float] = {}  # collection -> time.monotonic() of its last flush

    def folder(self, name: str) -> Path:
        """The folder of a collection's shard (VectorStoreError for a name unfit for one)."""
        return self.path / check_name(name)

    def names(self) -> list[str]:
        """Names of the collections with a shard on disk, sorted."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir() if (p / CONFIG_FILE).exists())

    @contextmanager
    def errors(self, name: str, doing: str) -> Iterator[None]:
        """Edge raises plain Exception for everything: sort it into our two errors."""
        try:
            yield
        except VectorStoreError:
            raise
        except (TypeError, AttributeError):
            raise  # wrong argument types are the caller's bug, not a store failure
        except Exception as exc:
            message = str(exc)
            if "WouldBlock" in message:  # "failed to open WAL ...: Kind(WouldBlock)": its lock is held
                raise VectorStoreLocked(_locked_message(self.folder(name))) from exc
            raise VectorStoreError(f"vector store: {doing} {name!r} failed: {message}") from exc

    def open(self, name: str, config: qe.EdgeConfig | None = None) -> qe.EdgeShard:
        """The open shard of a collection; loads it (checked against `config` when given)."""
        shard = self._open.get(name)
        if shard is not None:
            return shard
        folder = self.folder(name)
        with self.errors(name, "opening"):
            if (folder / CONFIG_FILE).exists():
                shard = qe.EdgeShard.load(str(folder), config)
            elif config is not None:
                shard = qe.EdgeShard.create(str(folder), config)
            else:
                raise VectorStoreError(f"vector store: no collection {name!r} in {self.path}")
        self._open[name] = shard
        return shard

    def open_checked(self, name: str, config: qe.EdgeConfig, dim: int, sparse: bool) -> qe.EdgeShard:
        """The shard, created with `config` or loaded against it, unless already checked for (dim, sparse)."""
        if self._checked.get(name) != (int(dim), bool(sparse)) and name in self._open:
            self.close(name)  # opened unchecked (or for another config): load validates it
        try:
            shard = self.open(name, config)
        except VectorStoreLocked:
            raise
        except VectorStoreError as exc:
            raise VectorStoreError(
                f"{exc} (collection {name!r} wants dim={dim}, sparse={sparse}: "
                "drop it and rebuild, or use another name)"
            ) from exc
        self._checked[name] = (int(dim), bool(sparse))
        return shard

    def flush(self, name: str, shard: qe.EdgeShard, force: bool = False) -> None:
        """Flush the shard's segments when forced (a bulk load), else at most every FLUSH_SECONDS.

        Every update is in the shard's write-ahead log when update() returns: a point written
        without a flush survived a SIGKILL of the process and was there on reload. A flush after
        each request's one-point write (a like's taste vector) cost 29 ms of a 33 ms like on the
        500-user demo, and held the store's lock, so every other request's search waited for it.
        What an OS crash could still lose before the next flush, SQL holds: `flask vectors sync`.
        """
        now = time.monotonic()
        if force or now - self._flushed.get(name, 0.0) >= FLUSH_SECONDS:
            shard.flush()
            self._flushed[name] = now

    def drop(self, name: str) -> None:
        """Delete the collection's folder, if it exists, its shard closed first."""
        folder = self.folder(name)
        if not (folder / CONFIG_FILE).exists():
            self.close(name)
            return
        # Opening first takes the shard's lock: never delete a shard a server is using.
        self.open(name)
        self.close(name)
        with self.errors(name, "dropping"):
            try:
                shutil.rmtree(folder)
            except OSError as exc:
                raise VectorStoreError(f"vector store: cannot delete {folder}: {exc}") from exc

    def close(self, name: str) -> None:
        """Close the collection's shard if it is open; the next open() loads it again."""
        shard = self._open.pop(name, None)
        self._checked.pop(name, None)
        if shard is not None:
            with self.errors(name, "closing"):
                shard.close()

    def close_all(self) -> None:
        """Close every open shard, then raise the first failure, if any."""
        failure = None
        for name in list(self._open):
            try:
                self.close(name)
            except VectorStoreError as exc:  # still close the others
                failure = failure or exc
        if failure is not None:
            raise failure
