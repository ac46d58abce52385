"""The vector store on Qdrant Edge: one embedded shard per collection, in this process."""

import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np
import qdrant_edge as qe
from numpy.typing import ArrayLike

from .base import (
    DENSE,
    SPARSE,
    Filters,
    Hit,
    PayloadFields,
    Point,
    Search,
    SparseVector,
    VectorStore,
    VectorStoreError,
    VectorStoreLocked,
)
from .filters import (
    EXACT_BELOW,
    HNSW_EF,
    HNSW_EF_CONSTRUCT,
    HNSW_M,
    OVERSAMPLING,
    QUANTILE,
    SEGMENT_POINTS,
    check_name,
    conditions,
    floats,
    full_scan_threshold_kb,
    id_list,
    index_schemas,
    payload_fields,
    segment_kb,
    sparse_parts,
)

SCHEMAS = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "bool": qe.PayloadSchemaType.Bool,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
}
UPSERT_BATCH = 1000  # points per shard update: bounds memory and lets queries in between
# Small writes are durable in the write-ahead log; segments are flushed at most this often (and on
# close, and after every bulk load), so a burst of likes costs one flush, not one each.
FLUSH_SECONDS = 5.0
SCROLL_PAGE = 1000
CONFIG_FILE = "edge_config.json"  # written by Edge itself; its presence marks a shard folder
# Exact means the float vectors, never the int8 copies (qdrant-edge 0.9.0's exact scan skips them
# already; ignore=True keeps it so, and tests/test_vectors_contract.py checks the scores).
EXACT_PARAMS = qe.SearchParams(exact=True, quantization=qe.QuantizationSearchParams(ignore=True))


def _match(value: Any) -> qe.MatchValue:
    # qdrant-edge 0.9.0 reads a Python bool as the integer 1 (bool subclasses int), so
    # MatchValue(True) matches nothing; numpy.bool_ is not an int and arrives as a bool.
    return qe.MatchValue(np.bool_(value) if isinstance(value, bool) else value)  # type: ignore[arg-type]


def _condition(field: str, op: str, value: Any) -> "qe.ConditionType":
    if op == "eq":
        return qe.FieldCondition(key=field, match=_match(value))
    if op == "any":
        return qe.FieldCondition(key=field, match=qe.MatchAny(value))
    if op == "either":
        return qe.Filter(should=[qe.FieldCondition(key=field, match=_match(v)) for v in value])
    return qe.FieldCondition(key=field, range=qe.RangeFloat(gte=value.gte, lte=value.lte))


def _filter(
    must: Filters | None = None, exclude_ids: Iterable[int] = (), should: Sequence[Filters] | None = None
) -> qe.Filter | None:
    must_conditions = [_condition(*c) for c in conditions(must)]
    alternatives = [
        parts[0] if len(parts) == 1 else qe.Filter(must=parts)
        for parts in ([_condition(*c) for c in conditions(option)] for option in should or ())
    ]
    excluded = set(id_list(exclude_ids))
    if not must_conditions and not excluded and not alternatives:
        return None
    # the stubs take invariant collections of unions; ours hold one member type
    must_not: list[qe.ConditionType] | None = (
        [qe.HasIdCondition(point_ids=cast("set[qe.PointId]", excluded))] if excluded else None
    )
    return qe.Filter(must=must_conditions or None, must_not=must_not, should=alternatives or None)


def _hits(found: Iterable[qe.ScoredPoint]) -> list[Hit]:
    return [Hit(id=int(p.id), score=float(p.score), payload=dict(p.payload or {})) for p in found]


class EdgeVectorStore(VectorStore):
    """Collections as Qdrant Edge shards in `path/<collection>/`, opened on first use.

    A shard can be open in one process only, so a second process gets VectorStoreLocked.
    One re-entrant lock serialises every shard call: gunicorn threads share this store, and
    queries hold the GIL anyway (field notes: 4 threads were no faster than 1).
    """

    backend = "edge"
    optimize_every = SEGMENT_POINTS  # Edge indexes only in optimize(): one segment a call

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._shards: dict[str, qe.EdgeShard] = {}
        # collection -> (dim, sparse) that ensure_collection validated it against
        self._checked: dict[str, tuple[int, bool]] = {}
        self._lock = threading.RLock()
        self._flushed: dict[str, float] = {}  # collection -> time.monotonic() of its last flush

    # -- shards -----------------------------------------------------------------------------

    def _folder(self, name: str) -> Path:
        return self.path / check_name(name)

    def _locked_message(self, folder: Path) -> str:
        return (
            f"The vector store at {folder} is in use by another process, most likely the running "
            "server (make run / gunicorn). Stop it and rerun this command, or set QDRANT_URL to "
            "use a Qdrant server that several processes can share."
        )

    @contextmanager
    def _errors(self, name: str, doing: str) -> Iterator[None]:
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
                raise VectorStoreLocked(self._locked_message(self._folder(name))) from exc
            raise VectorStoreError(f"vector store: {doing} {name!r} failed: {message}") from exc

    def _config(self, dim: int, sparse: bool) -> qe.EdgeConfig:
        return qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=int(dim), distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams()} if sparse else None,
            hnsw_config=qe.HnswIndexConfig(
                m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT, full_scan_threshold=full_scan_threshold_kb(dim)
            ),
            quantization_config=qe.ScalarQuantizationConfig(
                type=qe.ScalarType.Int8, quantile=QUANTILE, always_ram=True
            ),
            optimizers=qe.EdgeOptimizersConfig(max_segment_size=segment_kb(dim)),
        )

    def _open(self, name: str, config: qe.EdgeConfig | None = None) -> qe.EdgeShard:
        """The open shard of a collection; loads it (checked against `config` when given)."""
        shard = self._shards.get(name)
        if shard is not None:
            return shard
        folder = self._folder(name)
        with self._errors(name, "opening"):
            if (folder / CONFIG_FILE).exists():
                shard = qe.EdgeShard.load(str(folder), config)
            elif config is not None:
                shard = qe.EdgeShard.create(str(folder), config)
            else:
                raise VectorStoreError(f"vector store: no collection {name!r} in {self.path}")
        self._shards[name] = shard
        return shard

    @contextmanager
    def _shard(self, name: str, doing: str) -> Iterator[qe.EdgeShard]:
        with self._lock:
            shard = self._open(name)
            with self._errors(name, doing):
                yield shard

    # -- the interface ----------------------------------------------------------------------

    def ensure_collection(
        self, name: str, dim: int, indexed_fields: Mapping[str, str] | None = None, sparse: bool = False
    ) -> None:
        """Create the collection when missing. indexed_fields: {field: "keyword"|"bool"|"integer"|"float"}."""
        check_name(name)
        schemas = index_schemas(indexed_fields, SCHEMAS)
        config = self._config(dim, sparse)
        with self._lock:
            if self._checked.get(name) != (int(dim), bool(sparse)) and name in self._shards:
                self._close(name)  # opened unchecked (or for another config): load validates it
            try:
                shard = self._open(name, config)
            except VectorStoreLocked:
                raise
            except VectorStoreError as exc:
                raise VectorStoreError(
                    f"{exc} (collection {name!r} wants dim={dim}, sparse={sparse}: "
                    "drop it and rebuild, or use another name)"
                ) from exc
            self._checked[name] = (int(dim), bool(sparse))
            with self._errors(name, "indexing"):
                existing = set(shard.info().payload_schema)
                for field, schema in schemas.items():
                    if field not in existing:
                        shard.update(qe.UpdateOperation.create_field_index(field, schema))
                shard.flush()

    def upsert(self, name: str, points: Iterable[Point]) -> None:
        """Insert or replace points (an iterable of Point); durable when this returns (see _write)."""
        batch: list[qe.Point]
        batch, written = [], False
        for point in points:
            vector: dict[str, qe.NamedVector] = {DENSE: floats(point.vector)}
            if point.sparse is not None:
                indices, values = sparse_parts(point.sparse)
                vector[SPARSE] = qe.SparseVector(indices=indices, values=values)
            batch.append(qe.Point(id=int(point.id), vector=vector, payload=dict(point.payload)))
            if len(batch) >= UPSERT_BATCH:
                self._write(name, batch)
                batch, written = [], True
        if batch or written:
            self._write(name, batch, flush=written)

    def _write(self, name: str, batch: list[qe.Point], flush: bool = False) -> None:
        """Apply a batch; flush the shard's segments after a bulk load, else at most every FLUSH_SECONDS.

        Every update is in the shard's write-ahead log when update() returns: a point written
        without a flush survived a SIGKILL of the process and was there on reload. A flush after
        each request's one-point write (a like's taste vector) cost 29 ms of a 33 ms like on the
        500-user demo, and held the store's lock, so every other request's search waited for it.
        What an OS crash could still lose before the next flush, SQL holds: `flask vectors sync`.
        """
        with self._shard(name, "writing to") as shard:
            if batch:
                shard.update(qe.UpdateOperation.upsert_points(batch))
            self._flush(name, shard, force=flush)

    def _flush(self, name: str, shard: qe.EdgeShard, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._flushed.get(name, 0.0) >= FLUSH_SECONDS:
            shard.flush()
            self._flushed[name] = now

    def delete(self, name: str, ids: Iterable[int]) -> None:
        """Remove points by id; unknown ids are ignored."""
        ids = id_list(ids)
        with self._shard(name, "deleting from") as shard:
            if ids:
                shard.update(qe.UpdateOperation.delete_points(cast("list[qe.PointId]", ids)))
                self._flush(name, shard)

    def retrieve(self, name: str, ids: Iterable[int]) -> dict[int, list[float]]:
        """Dense vectors of the points that exist: {id: list of floats}."""
        ids = id_list(ids)
        if not ids:
            return {}
        with self._shard(name, "reading") as shard:
            records = shard.retrieve(cast("list[qe.PointId]", ids), with_payload=False, with_vector=[DENSE])
        # with_vector=[DENSE] returns {name: dense vector} for every record
        return {int(r.id): list(r.vector[DENSE]) for r in records}  # type: ignore[index, call-overload, arg-type]

    def _params(self, shard: qe.EdgeShard) -> qe.SearchParams:
        if shard.info().points_count < EXACT_BELOW:  # info() costs ~4 us
            return EXACT_PARAMS
        # Built per call (~2 us) from the module's constants, which bench/vectors.py sweeps.
        rescored = qe.QuantizationSearchParams(rescore=True, oversampling=OVERSAMPLING)
        return qe.SearchParams(hnsw_ef=HNSW_EF, quantization=rescored)

    def _query(
        self, name: str, query: Any, k: int, must: Filters | None, exclude_ids: Iterable[int]
    ) -> list[Hit]:
        """One dense query of any kind (recommend's), every payload field."""
        query_filter = _filter(must, exclude_ids)
        with self._shard(name, "searching") as shard:
            request = qe.QueryRequest(
                limit=int(k), query=query, filter=query_filter, with_payload=True, params=self._params(shard)
            )
            return _hits(shard.query(request))

    def search(
        self,
        name: str,
        vector: ArrayLike,
        k: int = 10,
        must: Filters | None = None,
        exclude_ids: Iterable[int] = (),
        should: Sequence[Filters] | None = None,
        payload: PayloadFields = True,
    ) -> list[Hit]:
        """The k points nearest to a dense vector, best first (list of Hit)."""
        (hits,) = self.search_batch(name, [Search(vector, k, must, exclude_ids, should, payload)])
        return hits

    def search_sparse(
        self,
        name: str,
        sparse: SparseVector,
        k: int = 10,
        must: Filters | None = None,
        exclude_ids: Iterable[int] = (),
        payload: PayloadFields = True,
    ) -> list[Hit]:
        """The k points with the highest dot product with a sparse vector {index: value}."""
        (hits,) = self.search_batch(
            name, [Search(None, k, must, exclude_ids, payload=payload, sparse=sparse)]
        )
        return hits

    def search_batch(self, name: str, searches: Sequence[Search]) -> list[list[Hit]]:
        """One list of hits per Search, in order, from one call of the shard.

        It saves no measurable time on Edge (a batch of searches with different filters costs what
        they cost one by one): at 100,000 songs For you's two song searches took 8.5 ms CPU one by
        one and 9.7 in one `query_batch` (mean of 50 users), and For you misses 23.4 against 22.6 ms
        CPU p50 (bench/recommend.py --batch, on a loaded machine): noise either way. It is here for
        the interface: a Qdrant server answers a batch in one round trip.
        """
        if not searches:
            return []
        # (slot, query, search) of the searches sent; an empty sparse vector finds nothing.
        planned: list[tuple[int, Any, Search]] = []
        for slot, search in enumerate(searches):
            if search.sparse is None:
                query = qe.Query.Nearest(floats(cast(ArrayLike, search.vector)), using=DENSE)
            else:
                indices, values = sparse_parts(search.sparse)
                if not indices:
                    continue
                query = qe.Query.Nearest(qe.SparseVector(indices=indices, values=values), using=SPARSE)
            planned.append((slot, query, search))
        filters = [_filter(s.must, s.exclude_ids, s.should) for _, _, s in planned]
        results: list[list[Hit]] = [[] for _ in searches]
        # The shard is opened even with nothing to send, so a missing collection errs as a search does.
        with self._shard(name, "searching") as shard:
            if not planned:
                return results
            dense = self._params(shard)
            requests = [
                qe.QueryRequest(
                    limit=int(s.k),
                    query=query,
                    filter=query_filter,
                    with_payload=payload_fields(s.payload),
                    params=dense if s.sparse is None else None,
                )
                for (_, query, s), query_filter in zip(planned, filters)
            ]
            if len(requests) == 1:
                found = [shard.query(requests[0])]
            else:
                found = shard.query_batch(qe.QueryBatchRequest(requests))
        for (slot, _, _), points in zip(planned, found):
            results[slot] = _hits(points)
        return results

    def recommend(
        self,
        name: str,
        positive: Iterable[int],
        negative: Iterable[int] = (),
        k: int = 10,
        must: Filters | None = None,
        exclude_ids: Iterable[int] = (),
    ) -> list[Hit]:
        """Points like the positive example ids and unlike the negative ones; examples are never returned."""
        positive, negative = id_list(positive), id_list(negative)
        with self._lock:  # examples and query see the same state
            vectors = self.retrieve(name, positive + negative)
            positives = [vectors[i] for i in positive if i in vectors]
            negatives = [vectors[i] for i in negative if i in vectors]
            if not positives:
                return []  # examples unknown (deleted): nothing to be like
            # Edge takes vectors, not ids; best-score matches the client backend's strategy.
            query = qe.Query.RecommendBestScore(
                qe.RecommendQuery(
                    positives=cast("list[qe.NamedVector]", positives),
                    negatives=cast("list[qe.NamedVector]", negatives),
                ),
                using=DENSE,
            )
            excluded = set(id_list(exclude_ids)) | set(positive) | set(negative)
            return self._query(name, query, k, must, excluded)

    def count(self, name: str, must: Filters | None = None, exact: bool = True) -> int:
        """How many points match: exactly, or (exact=False) from the segments' sizes."""
        query_filter = _filter(must)
        with self._shard(name, "counting") as shard:
            if query_filter is None and not exact:
                # The segments' own sizes: what an estimated count adds up, without the request.
                # The read path asks this of both collections on every request (check_collections):
                # 0.85 -> 0.37 ms a For you miss at 2,000 songs (in-app timing, same run).
                return int(shard.info().points_count)
            return int(shard.count(qe.CountRequest(exact=exact, filter=query_filter)))

    def ids(self, name: str) -> set[int]:
        """Every point id in the collection, as a set."""
        found: set[int]
        found, offset = set(), None
        with self._shard(name, "listing") as shard:
            while True:
                records, offset = shard.scroll(
                    qe.ScrollRequest(
                        offset=offset,
                        limit=SCROLL_PAGE,
                        with_payload=False,
                        with_vector=False,
                    )
                )
                found.update(int(r.id) for r in records)
                if offset is None:
                    return found

    def optimize(self, name: str) -> None:
        """Merge segments, build their HNSW indexes and int8 copies: during bulk loads (optimize_every)."""
        with self._shard(name, "optimizing") as shard:
            shard.optimize()
            shard.flush()

    def drop_collection(self, name: str) -> None:
        """Delete the collection and its points, if it exists."""
        folder = self._folder(name)
        with self._lock:
            if not (folder / CONFIG_FILE).exists():
                self._close(name)
                return
            # Opening first takes the shard's lock: never delete a shard a server is using.
            self._open(name)
            self._close(name)
            with self._errors(name, "dropping"):
                try:
                    shutil.rmtree(folder)
                except OSError as exc:
                    raise VectorStoreError(f"vector store: cannot delete {folder}: {exc}") from exc

    def collections(self) -> list[str]:
        """Names of the existing collections."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir() if (p / CONFIG_FILE).exists())

    def _close(self, name: str) -> None:
        shard = self._shards.pop(name, None)
        self._checked.pop(name, None)
        if shard is not None:
            with self._errors(name, "closing"):
                shard.close()

    def close(self) -> None:
        """Close every open shard; the next call reopens what it needs."""
        with self._lock:
            failure = None
            for name in list(self._shards):
                try:
                    self._close(name)
                except VectorStoreError as exc:  # still close the others
                    failure = failure or exc
            if failure is not None:
                raise failure
