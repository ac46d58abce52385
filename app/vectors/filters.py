"""Argument normalisation, filter assembly, hits and search tuning shared by the Edge and qdrant-client backends."""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from .base import DENSE, SPARSE, Filters, Hit, PayloadFields, Point, Range, SparseVector, VectorStoreError

Schema = TypeVar("Schema")
Condition = TypeVar("Condition")
Sparse = TypeVar("Sparse")

# Search tuning, measured on this 2-core machine with bench/vectors.py (384-d "perturbed" vectors:
# 200 cluster centres + noise; taste queries between two clusters, the hard case for HNSW), Edge:
#   exact top-10: 0.5 ms at 10,000 points, 1.1 ms at 20,000, 5.7 ms at 100,000.
#   HNSW at 100,000 (m=16, ef_construct=100: optimize 17 s), hnsw_ef -> recall@10 / p50:
#     100 (the default) 0.85 / 0.7 ms, 256 0.90 / 0.9 ms, 512 0.98 / 1.2 ms, 1024 1.00 / 1.8 ms.
#   m=32, ef_construct=200 took 35 s to optimize for 0.99 at ef 512 in 1.3 ms: no better per
#   millisecond, so the default graph stays and queries widen instead. Real MiniLM vectors are
#   easier (field notes: 0.92 at the default ef, 0.99 at 256 on 10,000): see HNSW_EF below.
# At 20,000 points an exact scan costs what HNSW at ef 512 does, and it is always right.
EXACT_BELOW = 20_000
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100
# Most of a build is the extra graph links per indexed payload value (payload_m, default m): at
# 500,000 points with the songs' indexes a build took 1,069 s CPU with them, 336 s with payload_m=0,
# but without them filtered recall@10 fell to 0.07-0.78 (15-50% filters, ef 256). They stay.

# Scalar (int8) quantization: every indexed segment also keeps its vectors as bytes, which HNSW and
# payload-index scans score first (4x less memory to read), then OVERSAMPLING x k of the best are
# rescored with the float vectors. Exact searches (below EXACT_BELOW) read only the floats.
# Measured with bench/vectors_500k.py at 500,000 real-derived MiniLM vectors (2 segments), 100
# taste queries excluding 100 library songs, on a loaded machine (CPU ms a query / recall@10):
#   filter share          library   50%      17%      knowledge ~15%  genre ~4%  genre+flag ~1%
#   ef 512, floats        9.7/1.00  5.7/.997 6.1/.990 6.6/.985        7.2/1.00   6.5/.997  (before)
#   ef 512, int8 x2.0     3.6/.994  3.8/.995 5.2/.989 5.9/.983        4.0/.995   4.4/.996  (chosen)
#   ef 256, int8 x2.0     2.1/.994  2.1/.992 2.7/.983 3.4/.977        3.8/.995   4.7/.996
#   ef 128, int8 x2.0     1.4/.984  1.5/.974 1.9/.969 2.4/.949        3.3/.994   4.7/.996
# Oversampling 1.5 or 3.0 moved recall by under 0.01. ef 256 would do on those vectors, but not on
# the app's 100,000-song catalog (replicated sample songs: near-duplicates), users' taste vectors:
#   floats: ef 256 0.928, ef 512 0.992 in 4.6-4.9 ms; int8 x2.0: ef 256 0.934, 384 0.974, 512 0.988
#   in 2.5-2.6 ms (same run), 768 0.998. So ef stays 512 and int8 halves its cost.
# The genre filters leave fewer points per segment than full_scan_threshold, so Qdrant scans their
# payload-index matches (hnsw_ef does not apply). A per-selectivity hnsw_ef was not worth it:
# estimating a filter's size (count, exact=False) costs 0.17-0.22 ms, and a lower ef lost recall on
# the knowledge shape. ACORN (graph search two hops out) cost 24-27 ms on the 15-17% filters. On the
# 21,249 real vectors themselves int8 x2.0 found 0.97-1.00 of the top 10 at ef 128 to 512.
# Collections made before quantization keep working: a segment without int8 copies is searched on
# its floats (the first row) until the optimizer rebuilds it.
HNSW_EF = 512
QUANTILE = 0.99  # int8 range from the 99th percentile of |component|: outliers are clipped
OVERSAMPLING = 2.0


# Segments of at most SEGMENT_POINTS points, and a bulk load optimizes after each SEGMENT_POINTS it
# writes (VectorStore.optimize_every), so one call builds one segment's index, not the catalog's.
# At 500,000 points (bench/vectors_500k.py, int8): one optimize() took 1,815 s (1,069 s CPU, the
# build in all, on a loaded machine); optimizing every 125,000 took 4 calls, the longest 371 s, the
# last 232 s (742 s CPU in all). But 125,000-point segments cost search: 5 segments, each under
# full_scan_threshold for more filters, made top-10 at ef 512 2.2x the CPU and the knowledge
# filter 30 ms. 250,000 keeps the layout Edge chose for 500,000 in one call (2 segments, the search
# figures above), each call building one of them (not measured: expect about half the single call);
# a larger catalog adds calls, not longer ones.
SEGMENT_POINTS = 250_000


def segment_kb(dim: int) -> int:
    """Qdrant's max_segment_size (KB of vectors) meaning SEGMENT_POINTS points of `dim` floats."""
    return max(1, SEGMENT_POINTS * dim * 4 // 1024)


def full_scan_threshold_kb(dim: int) -> int:
    """Qdrant's full_scan_threshold (KB of vectors) meaning EXACT_BELOW points of `dim` floats."""
    # A filter that leaves fewer points than this is answered by an exact scan of the payload
    # index's matches. Measured at 100,000 points, hnsw_ef 512: a 15% filter (explicit + a flag)
    # found 0.81 of the true top-10 through the graph with Qdrant's default (10,000 KB, ~6,700
    # points) and 1.00 by exact scan in 3.2 ms with this one (20,000 points).
    return max(1, EXACT_BELOW * dim * 4 // 1024)


_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_name(name: object) -> str:
    """A collection name safe as a folder name and a URL segment, or VectorStoreError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise VectorStoreError(f"invalid collection name {name!r}: use letters, digits, '_' or '-'")
    return name


def index_schemas(
    indexed_fields: Mapping[str, str] | None, schemas: Mapping[str, Schema]
) -> dict[str, Schema]:
    """{field: kind} mapped through a backend's {kind: schema}; ValueError for an unknown kind."""
    unknown = {kind for kind in (indexed_fields or {}).values() if kind not in schemas}
    if unknown:
        raise ValueError(f"unknown payload index kinds {sorted(unknown)}: use {sorted(schemas)}")
    return {field: schemas[kind] for field, kind in (indexed_fields or {}).items()}


def floats(vector: ArrayLike) -> list[float]:
    """A dense vector (list, tuple or numpy array) as a flat list of Python floats."""
    return np.asarray(vector, dtype=np.float32).ravel().tolist()


def payload_fields(payload: PayloadFields) -> bool | list[str]:
    """A search's payload choice as both backends take it: True, False, or a list of field names."""
    if isinstance(payload, bool):
        return payload
    if isinstance(payload, str):  # one name, not its letters
        return [payload]
    return [str(name) for name in payload]


def sparse_parts(sparse: SparseVector) -> tuple[list[int], list[float]]:
    """A sparse vector {index: value} as sorted (indices, values) lists."""
    items = sorted((int(index), float(value)) for index, value in sparse.items())
    return [index for index, _ in items], [value for _, value in items]


def named_vectors(point: Point, sparse_vector: Callable[[list[int], list[float]], Sparse]) -> dict[str, Any]:
    """A point's vectors by name, as both backends store them: the dense one, and the sparse one when
    there is one, built by sparse_vector(indices, values) in the backend's type."""
    vectors: dict[str, Any] = {DENSE: floats(point.vector)}
    if point.sparse is not None:
        vectors[SPARSE] = sparse_vector(*sparse_parts(point.sparse))
    return vectors


def _scalar(value: Any) -> Any:
    # numpy scalars (np.int64 from a DataFrame, np.bool_) are not int/bool subclasses
    return value.item() if isinstance(value, np.generic) else value


def conditions(must: Filters | None) -> list[tuple[str, str, Any]]:
    """`must` filters as (field, op, value) with op "eq", "any", "either" or "range"."""
    # "any" becomes MatchAny, which takes only all-str or all-int lists; "either" is a nested
    # `should` of exact matches for the rest (lists of bools, mixed types).
    result: list[tuple[str, str, Any]] = []
    for field, value in (must or {}).items():
        value = _scalar(value)
        if isinstance(value, Range):
            result.append((field, "range", value))
        elif isinstance(value, (list, tuple, set, frozenset)):
            values = [_scalar(v) for v in value]
            kinds = {type(v) for v in values}
            if kinds <= {str} or kinds <= {int}:
                result.append((field, "any", values))  # an empty list matches nothing
            elif kinds <= {str, int, bool}:
                result.append((field, "either", values))
            else:
                raise TypeError(f"filter {field!r}: values must be str, int or bool, not {value!r}")
        elif isinstance(value, float):
            result.append((field, "range", Range(gte=value, lte=value)))  # MatchValue takes no floats
        elif isinstance(value, (str, int, bool)):
            result.append((field, "eq", value))
        else:
            raise TypeError(f"filter {field!r}: unsupported value {value!r}")
    return result


def id_list(ids: Iterable[Any]) -> list[int]:
    """Point ids as a list of distinct Python ints, in first-seen order."""
    return list(dict.fromkeys(int(_scalar(i)) for i in ids))


class FilterParts(NamedTuple):
    """A filter in the backends' common shape: all of `must`, no id of `excluded`, one of `should`."""

    must: list[Any]  # the backend's conditions
    excluded: list[int]
    should: list[Any]  # one backend condition (or a group of them) per alternative


def filter_parts(
    must: Filters | None,
    exclude_ids: Iterable[int],
    should: Sequence[Filters] | None,
    condition: Callable[[str, str, Any], Condition],
    group: Callable[[list[Condition]], Condition],
) -> FilterParts | None:
    """The parts of a search filter in a backend's types, or None when nothing is asked.

    condition(field, op, value) builds one condition of `conditions`; group(conditions) one that
    needs them all, for an alternative of several (an alternative of one is that condition itself).
    """
    required = [condition(*c) for c in conditions(must)]
    alternatives = [
        parts[0] if len(parts) == 1 else group(parts)
        for parts in ([condition(*c) for c in conditions(option)] for option in should or ())
    ]
    excluded = id_list(exclude_ids)
    if not required and not excluded and not alternatives:
        return None
    return FilterParts(required, excluded, alternatives)


class Scored(Protocol):
    """A scored point as either backend returns it (qdrant_edge.ScoredPoint, models.ScoredPoint)."""

    @property
    def id(self) -> Any: ...
    @property
    def score(self) -> float: ...
    @property
    def payload(self) -> Mapping[str, Any] | None: ...


def to_hits(found: Iterable[Scored]) -> list[Hit]:
    """A backend's scored points as our hits, in its order."""
    return [Hit(id=int(p.id), score=float(p.score), payload=dict(p.payload or {})) for p in found]
