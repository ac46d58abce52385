"""The vector store interface the app uses, whatever Qdrant runs behind it."""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from numpy.typing import ArrayLike

DENSE = "dense"  # name of the dense vector in every collection
SPARSE = "sparse"  # name of the optional sparse vector

# Argument types of the interface below (the docstring of VectorStore says what the filters hold).
Payload = dict[str, Any]
Filters = Mapping[str, Any]  # a `must` filter: {field: value, list of values or Range}
SparseVector = Mapping[int, float]  # {index: value}
# Which payload fields a search returns: all (True), none (False) or the named ones. Converting
# payloads is a third of a filtered top-60 search at 100,000 songs: engines ask for what they read.
PayloadFields = bool | Sequence[str]


class VectorStoreError(RuntimeError):
    """The vector store failed or cannot be reached; callers may degrade instead of failing."""


class VectorStoreLocked(VectorStoreError):
    """An embedded shard is held by another process (a running server, usually)."""


@dataclass(frozen=True)
class Range:
    """A numeric condition for `must` filters: gte <= value <= lte (either end optional)."""

    gte: float | None = None
    lte: float | None = None


@dataclass(frozen=True)
class Point:
    """One point: integer id, dense vector, payload, and optionally a sparse vector {index: value}."""

    id: int
    vector: list[float]
    payload: Payload = field(default_factory=dict)
    sparse: SparseVector | None = None


@dataclass(frozen=True)
class Search:
    """One search of a batch (VectorStore.search_batch): search()'s arguments, or search_sparse()'s.

    Set `vector` for a dense search or `sparse` ({index: value}) for a sparse one, never both.
    """

    vector: ArrayLike | None = None
    k: int = 10
    must: Filters | None = None
    exclude_ids: Iterable[int] = ()
    should: Sequence[Filters] | None = None
    payload: PayloadFields = True
    sparse: SparseVector | None = None

    def __post_init__(self) -> None:
        if (self.vector is None) == (self.sparse is None):
            raise ValueError("a Search takes a dense vector or a sparse one: set exactly one")
        if self.sparse is not None and self.should:
            raise ValueError("a sparse Search takes no `should` (search_sparse has none)")


@dataclass(frozen=True)
class Hit:
    """A search result: id, similarity score (higher is closer) and payload."""

    id: int
    score: float
    payload: Payload = field(default_factory=dict)


class VectorStore(ABC):
    """Collections of points searched by cosine similarity.

    `must` filters map a payload field to a value that must match exactly (str, int, bool),
    to a list/tuple/set of values of which one must match, or to a Range.
    `exclude_ids` are point ids that must never be returned. `should` is a list of such filters
    of which at least one must hold (e.g. [{"good_for_party": True}, {"genres": "rock"}]).
    """

    backend = "abstract"
    # Points a bulk load writes between optimize() calls, so no single call indexes the whole
    # catalog; None where the backend indexes by itself (a Qdrant server, local mode).
    optimize_every: int | None = None

    @abstractmethod
    def ensure_collection(
        self, name: str, dim: int, indexed_fields: Mapping[str, str] | None = None, sparse: bool = False
    ) -> None:
        """Create the collection when missing. indexed_fields: {field: "keyword"|"bool"|"integer"|"float"}."""

    @abstractmethod
    def upsert(self, name: str, points: Iterable[Point]) -> None:
        """Insert or replace points (an iterable of Point)."""

    @abstractmethod
    def delete(self, name: str, ids: Iterable[int]) -> None:
        """Remove points by id; unknown ids are ignored."""

    @abstractmethod
    def retrieve(self, name: str, ids: Iterable[int]) -> dict[int, list[float]]:
        """Dense vectors of the points that exist: {id: list of floats}."""

    @abstractmethod
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
        """The k points nearest to a dense vector, best first (list of Hit).

        payload: every field (True), none (False: each Hit's payload is {}), or only the named fields.
        """

    @abstractmethod
    def search_sparse(
        self,
        name: str,
        sparse: SparseVector,
        k: int = 10,
        must: Filters | None = None,
        exclude_ids: Iterable[int] = (),
        payload: PayloadFields = True,
    ) -> list[Hit]:
        """The k points with the highest dot product with a sparse vector {index: value}; payload as in search."""

    def search_batch(self, name: str, searches: Sequence[Search]) -> list[list[Hit]]:
        """One list of hits per Search, in order: what search() or search_sparse() gives for each.

        Backends send the batch in one call (a Qdrant server: one round trip instead of one each);
        this default runs them one by one.
        """
        results = []
        for s in searches:
            if s.sparse is not None:
                results.append(self.search_sparse(name, s.sparse, s.k, s.must, s.exclude_ids, s.payload))
            else:
                vector = cast(ArrayLike, s.vector)  # a Search without a sparse vector has a dense one
                results.append(self.search(name, vector, s.k, s.must, s.exclude_ids, s.should, s.payload))
        return results

    @abstractmethod
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

    @abstractmethod
    def count(self, name: str, must: Filters | None = None, exact: bool = True) -> int:
        """How many points match: exactly, or (exact=False) an estimate that costs no scan.

        The estimate is 0 only when the collection is empty.
        """

    @abstractmethod
    def ids(self, name: str) -> set[int]:
        """Every point id in the collection, as a set."""

    @abstractmethod
    def drop_collection(self, name: str) -> None:
        """Delete the collection and its points, if it exists."""

    @abstractmethod
    def collections(self) -> list[str]:
        """Names of the existing collections."""

    def optimize(self, name: str) -> None:  # noqa: B027 - a no-op by default, not abstract
        """Build or refresh search indexes after a bulk load; a no-op where the backend does it alone."""

    @abstractmethod
    def close(self) -> None:
        """Release files and connections; the store may be reopened lazily by the next call."""
