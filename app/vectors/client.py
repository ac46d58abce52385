"""The vector store on qdrant-client: a Qdrant server (url) or the client's local mode (location)."""

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, cast

from numpy.typing import ArrayLike
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ApiException

from .base import (
    DENSE,
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
from .client_requests import (
    SCHEMAS,
    collection_config,
    config_fits,
    query_request,
    recommend_query,
    search_params,
    to_filter,
    to_point,
)
from .filters import check_name, id_list, index_schemas, to_hits

UPSERT_BATCH = 500  # points per request: keeps server request bodies a few MB
SCROLL_PAGE = 1000
TIMEOUT_S = 10
# Local mode raises ValueError (bad input, missing collection) and RuntimeError (closed, locked);
# the server path raises ApiException subclasses (UnexpectedResponse, ResponseHandlingException
# wrapping connection errors and timeouts).
BACKEND_ERRORS = (ApiException, ValueError, RuntimeError, OSError)


class ClientVectorStore(VectorStore):
    """Collections in a Qdrant server (url), or in qdrant-client's local mode (":memory:" or a folder)."""

    def __init__(
        self, url: str | None = None, api_key: str | None = None, location: str | None = None
    ) -> None:
        if not url and not location:
            raise ValueError("ClientVectorStore needs a url or a location")
        self.url, self.api_key, self.location = url, api_key, (None if url else location)
        self.backend = "qdrant-server" if url else "qdrant-local"
        self._client: QdrantClient | None = None
        # Local mode is plain Python over shared dicts (and SQLite for a folder): one call at a
        # time. The server serialises its own writes, so remote calls run concurrently.
        self._lock = threading.RLock()
        self._call_lock = nullcontext() if url else self._lock

    @property
    def where(self) -> str | None:
        """The server URL or local folder, for messages."""
        return self.url or self.location

    def _connect(self) -> QdrantClient:
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    def _new_client(self) -> QdrantClient:
        if self.url:
            # check_compatibility would make a request (and log a warning) at construction
            return QdrantClient(
                url=self.url, api_key=self.api_key, timeout=TIMEOUT_S, check_compatibility=False
            )
        if self.location == ":memory:":
            return QdrantClient(location=":memory:")
        try:
            # threads of one gunicorn worker share this client; _lock serialises them
            return QdrantClient(path=str(self.location), force_disable_check_same_thread=True)
        except BACKEND_ERRORS as exc:
            if "already accessed by another instance" in str(exc):
                raise VectorStoreLocked(
                    f"The vector store at {self.location} is in use by another process, most likely "
                    "the running server (make run / gunicorn). Stop it and rerun this command, or "
                    "set QDRANT_URL to use a Qdrant server that several processes can share."
                ) from exc
            raise VectorStoreError(f"vector store: cannot open {self.location}: {exc}") from exc

    @contextmanager
    def _call(self, doing: str, name: str | None = None) -> Iterator[QdrantClient]:
        """The client, with backend failures turned into VectorStoreError."""
        client = self._connect()
        target = f" {name!r}" if name else ""
        try:
            with self._call_lock:
                yield client
        except VectorStoreError:
            raise
        except BACKEND_ERRORS as exc:
            raise VectorStoreError(f"vector store ({self.where}): {doing}{target} failed: {exc}") from exc

    # -- the interface ----------------------------------------------------------------------

    def ensure_collection(
        self, name: str, dim: int, indexed_fields: Mapping[str, str] | None = None, sparse: bool = False
    ) -> None:
        """Create the collection when missing. indexed_fields: {field: "keyword"|"bool"|"integer"|"float"}."""
        check_name(name)
        schemas = index_schemas(indexed_fields, SCHEMAS)
        with self._call("creating", name) as client:
            if not client.collection_exists(name):
                client.create_collection(name, **collection_config(dim, sparse))
            info = client.get_collection(name)
            if not config_fits(info, dim, sparse):
                raise VectorStoreError(
                    f"vector store ({self.where}): collection {name!r} exists with another configuration "
                    f"(wants dim={dim}, sparse={sparse}): drop it and rebuild, or use another name"
                )
            if self.url:  # local mode has no payload indexes (and warns when asked for one)
                for field, schema in schemas.items():
                    if field not in (info.payload_schema or {}):
                        client.create_payload_index(name, field, schema, wait=True)

    def upsert(self, name: str, points: Iterable[Point]) -> None:
        """Insert or replace points (an iterable of Point); acknowledged by the server before returning."""
        batch: list[models.PointStruct] = []
        for point in points:
            batch.append(to_point(point))
            if len(batch) >= UPSERT_BATCH:
                self._write(name, batch)
                batch = []
        if batch:
            self._write(name, batch)

    def _write(self, name: str, batch: list[models.PointStruct]) -> None:
        with self._call("writing to", name) as client:
            client.upsert(name, points=batch, wait=True)

    def delete(self, name: str, ids: Iterable[int]) -> None:
        """Remove points by id; unknown ids are ignored."""
        ids = id_list(ids)
        with self._call("deleting from", name) as client:
            if ids:
                selector = models.PointIdsList(points=cast("list[models.ExtendedPointId]", ids))
                client.delete(name, points_selector=selector, wait=True)

    def retrieve(self, name: str, ids: Iterable[int]) -> dict[int, list[float]]:
        """Dense vectors of the points that exist: {id: list of floats}."""
        ids = id_list(ids)
        with self._call("reading", name) as client:
            records = client.retrieve(name, ids, with_payload=False, with_vectors=[DENSE]) if ids else []
        # with_vectors=[DENSE] returns {name: dense vector} for every record
        return {int(r.id): list(r.vector[DENSE]) for r in records}  # type: ignore[index, call-overload, arg-type]

    def _query(
        self, name: str, query: Any, k: int, must: Filters | None, exclude_ids: Iterable[int]
    ) -> list[Hit]:
        """One dense query of any kind (recommend's), every payload field."""
        with self._call("searching", name) as client:
            response = client.query_points(
                name,
                query=query,
                using=DENSE,
                query_filter=to_filter(must, exclude_ids),
                limit=int(k),
                with_payload=True,
                search_params=search_params(bool(self.url)),
            )
        return to_hits(response.points)

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
        """One list of hits per Search, in order: one request to a server (query_batch_points)."""
        requests = [query_request(search, bool(self.url)) for search in searches]
        if not requests:
            return []
        with self._call("searching", name) as client:
            responses = client.query_batch_points(name, requests)
        return [to_hits(response.points) for response in responses]

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
        # The server rejects unknown example ids; skip them (songs deleted since), as Edge does.
        with self._call("reading", name) as client:
            known = (
                {int(r.id) for r in client.retrieve(name, positive + negative, with_payload=False)}
                if positive
                else set()
            )
        positive = [i for i in positive if i in known]
        if not positive:
            return []
        query = recommend_query(positive, [i for i in negative if i in known])
        # Qdrant leaves the example ids out by itself; negatives that were unknown cost nothing.
        return self._query(name, query, k, must, exclude_ids)

    def count(self, name: str, must: Filters | None = None, exact: bool = True) -> int:
        """How many points match: exactly, or (exact=False) the server's estimate."""
        with self._call("counting", name) as client:
            return int(client.count(name, count_filter=to_filter(must), exact=exact).count)

    def ids(self, name: str) -> set[int]:
        """Every point id in the collection, as a set."""
        found: set[int]
        found, offset = set(), None
        with self._call("listing", name) as client:
            while True:
                records, offset = client.scroll(
                    name,
                    offset=offset,
                    limit=SCROLL_PAGE,
                    with_payload=False,
                    with_vectors=False,
                )
                found.update(int(r.id) for r in records)
                if offset is None:
                    return found

    def optimize(self, name: str) -> None:
        """Nothing to do: the server optimizes in the background, and local mode has no index."""
        with self._call("optimizing", name) as client:
            if not client.collection_exists(name):
                raise VectorStoreError(f"vector store ({self.where}): no collection {name!r}")

    def drop_collection(self, name: str) -> None:
        """Delete the collection and its points, if it exists."""
        check_name(name)
        with self._call("dropping", name) as client:
            client.delete_collection(name)

    def collections(self) -> list[str]:
        """Names of the existing collections."""
        with self._call("listing collections") as client:
            return sorted(c.name for c in client.get_collections().collections)

    def close(self) -> None:
        """Close the client (releasing a local folder); the next call reconnects."""
        if self.location == ":memory:":
            return  # nothing to release, and closing would forget every point
        with self._lock:
            client, self._client = self._client, None
            if client is not None:
                try:
                    client.close()
                except BACKEND_ERRORS as exc:
                    raise VectorStoreError(f"vector store ({self.where}): closing failed: {exc}") from exc
