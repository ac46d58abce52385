"""The vector store on Qdrant Edge: one embedded shard per collection, in this process."""

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import qdrant_edge as qe
from numpy.typing import ArrayLike

from .base import (
    DENSE,
    Filters,
    Hit,
    PayloadFields,
    Point,
    Search,
    SparseVector,
    VectorStore,
)
from .edge_requests import (
    SCHEMAS,
    plan,
    query_request,
    recommend_query,
    search_params,
    shard_config,
    to_filter,
    to_point,
)
from .edge_shards import EdgeShards
from .filters import SEGMENT_POINTS, check_name, id_list, index_schemas, to_hits

UPSERT_BATCH = 1000  # points per shard update: bounds memory and lets queries in between
SCROLL_PAGE = 1000


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
        self._shards = EdgeShards(self.path)
        self._lock = threading.RLock()

    def _config(self, dim: int, sparse: bool) -> qe.EdgeConfig:
        """The config a new collection gets and an existing one is loaded against (tests, bench override it)."""
        return shard_config(dim, sparse)

    @contextmanager
    def _shard(self, name: str, doing: str) -> Iterator[qe.EdgeShard]:
        with self._lock:
            shard = self._shards.open(name)
            with self._shards.errors(name, doing):
                yield shard

    def _params(self, shard: qe.EdgeShard) -> qe.SearchParams:
        return search_params(shard.info().points_count)  # info() costs ~4 us

    # -- the interface ----------------------------------------------------------------------

    def ensure_collection(
        self, name: str, dim: int, indexed_fields: Mapping[str, str] | None = None, sparse: bool = False
    ) -> None:
        """Create the collection when missing. indexed_fields: {field: "keyword"|"bool"|"integer"|"float"}."""
        check_name(name)
        schemas = index_schemas(indexed_fields, SCHEMAS)
        config = self._config(dim, sparse)
        with self._lock:
            shard = self._shards.open_checked(name, config, dim, sparse)
            with self._shards.errors(name, "indexing"):
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
            batch.append(to_point(point))
            if len(batch) >= UPSERT_BATCH:
                self._write(name, batch)
                batch, written = [], True
        if batch or written:
            self._write(name, batch, flush=written)

    def _write(self, name: str, batch: list[qe.Point], flush: bool = False) -> None:
        """Apply a batch; flush the shard's segments after a bulk load, else at most every FLUSH_SECONDS.

        Durable without the flush: every update is in the write-ahead log (EdgeShards.flush says why).
        """
        with self._shard(name, "writing to") as shard:
            if batch:
                shard.update(qe.UpdateOperation.upsert_points(batch))
            self._shards.flush(name, shard, force=flush)

    def delete(self, name: str, ids: Iterable[int]) -> None:
        """Remove points by id; unknown ids are ignored."""
        ids = id_list(ids)
        with self._shard(name, "deleting from") as shard:
            if ids:
                shard.update(qe.UpdateOperation.delete_points(cast("list[qe.PointId]", ids)))
                self._shards.flush(name, shard)

    def retrieve(self, name: str, ids: Iterable[int]) -> dict[int, list[float]]:
        """Dense vectors of the points that exist: {id: list of floats}."""
        ids = id_list(ids)
        if not ids:
            return {}
        with self._shard(name, "reading") as shard:
            records = shard.retrieve(cast("list[qe.PointId]", ids), with_payload=False, with_vector=[DENSE])
        # with_vector=[DENSE] returns {name: dense vector} for every record
        return {int(r.id): list(r.vector[DENSE]) for r in records}  # type: ignore[index, call-overload, arg-type]

    def _query(
        self, name: str, query: Any, k: int, must: Filters | None, exclude_ids: Iterable[int]
    ) -> list[Hit]:
        """One dense query of any kind (recommend's), every payload field."""
        query_filter = to_filter(must, exclude_ids)
        with self._shard(name, "searching") as shard:
            request = qe.QueryRequest(
                limit=int(k), query=query, filter=query_filter, with_payload=True, params=self._params(shard)
            )
            return to_hits(shard.query(request))

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
        planned = plan(searches)
        results: list[list[Hit]] = [[] for _ in searches]
        # The shard is opened even with nothing to send, so a missing collection errs as a search does.
        with self._shard(name, "searching") as shard:
            if not planned:
                return results
            dense = self._params(shard)
            requests = [query_request(p, dense) for p in planned]
            if len(requests) == 1:
                found = [shard.query(requests[0])]
            else:
                found = shard.query_batch(qe.QueryBatchRequest(requests))
        for p, points in zip(planned, found):
            results[p.slot] = to_hits(points)
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
            query = recommend_query(positives, negatives)
            excluded = set(id_list(exclude_ids)) | set(positive) | set(negative)
            return self._query(name, query, k, must, excluded)

    def count(self, name: str, must: Filters | None = None, exact: bool = True) -> int:
        """How many points match: exactly, or (exact=False) from the segments' sizes."""
        query_filter = to_filter(must)
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
        with self._lock:
            self._shards.drop(name)

    def collections(self) -> list[str]:
        """Names of the existing collections."""
        return self._shards.names()

    def close(self) -> None:
        """Close every open shard; the next call reopens what it needs."""
        with self._lock:
            self._shards.close_all()
