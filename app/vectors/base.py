"""The vector store interface the app uses, whatever Qdrant runs behind it."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

DENSE = "dense"  # name of the dense vector in every collection
SPARSE = "sparse"  # name of the optional sparse vector


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
    vector: list
    payload: dict = field(default_factory=dict)
    sparse: dict | None = None


@dataclass(frozen=True)
class Hit:
    """A search result: id, similarity score (higher is closer) and payload."""

    id: int
    score: float
    payload: dict = field(default_factory=dict)


class VectorStore(ABC):
    """Collections of points searched by cosine similarity.

    `must` filters map a payload field to a value that must match exactly (str, int, bool),
    to a list/tuple/set of values of which one must match, or to a Range.
    `exclude_ids` are point ids that must never be returned. `should` is a list of such filters
    of which at least one must hold (e.g. [{"good_for_party": True}, {"genres": "rock"}]).
    """

    backend = "abstract"

    @abstractmethod
    def ensure_collection(self, name, dim, indexed_fields=None, sparse=False):
        """Create the collection when missing. indexed_fields: {field: "keyword"|"bool"|"integer"|"float"}."""

    @abstractmethod
    def upsert(self, name, points):
        """Insert or replace points (an iterable of Point)."""

    @abstractmethod
    def delete(self, name, ids):
        """Remove points by id; unknown ids are ignored."""

    @abstractmethod
    def retrieve(self, name, ids):
        """Dense vectors of the points that exist: {id: list of floats}."""

    @abstractmethod
    def search(self, name, vector, k=10, must=None, exclude_ids=(), should=None):
        """The k points nearest to a dense vector, best first (list of Hit)."""

    @abstractmethod
    def search_sparse(self, name, sparse, k=10, must=None, exclude_ids=()):
        """The k points with the highest dot product with a sparse vector {index: value}."""

    @abstractmethod
    def recommend(self, name, positive, negative=(), k=10, must=None, exclude_ids=()):
        """Points like the positive example ids and unlike the negative ones; examples are never returned."""

    @abstractmethod
    def count(self, name, must=None, exact=True):
        """How many points match: exactly, or (exact=False) an estimate that costs no scan, 0 only when empty."""

    @abstractmethod
    def ids(self, name):
        """Every point id in the collection, as a set."""

    @abstractmethod
    def drop_collection(self, name):
        """Delete the collection and its points, if it exists."""

    @abstractmethod
    def collections(self):
        """Names of the existing collections."""

    def optimize(self, name):
        """Build or refresh search indexes after a bulk load; a no-op where the backend does it alone."""

    @abstractmethod
    def close(self):
        """Release files and connections; the store may be reopened lazily by the next call."""
