"""Our filters, searches and points in Qdrant Edge's types, and its answers in ours (no shard state)."""

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, cast

import numpy as np
import qdrant_edge as qe
from numpy.typing import ArrayLike

from .base import DENSE, SPARSE, Filters, Point, Search
from .filters import (
    EXACT_BELOW,
    HNSW_EF,
    HNSW_EF_CONSTRUCT,
    HNSW_M,
    OVERSAMPLING,
    QUANTILE,
    filter_parts,
    floats,
    full_scan_threshold_kb,
    named_vectors,
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
# Exact means the float vectors, never the int8 copies (qdrant-edge 0.9.0's exact scan skips them
# already; ignore=True keeps it so, and tests/test_vectors_contract.py checks the scores).
EXACT_PARAMS = qe.SearchParams(exact=True, quantization=qe.QuantizationSearchParams(ignore=True))


def shard_config(dim: int, sparse: bool) -> qe.EdgeConfig:
    """A collection's shard: cosine `dim`-d vectors (and sparse ones), HNSW and int8 as filters.py tunes them."""
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


def search_params(points_count: int) -> qe.SearchParams:
    """A dense search of a shard of `points_count` points: exact below EXACT_BELOW, else HNSW on int8."""
    if points_count < EXACT_BELOW:
        return EXACT_PARAMS
    # Built per call (~2 us) from the module's constants, which bench/vectors.py sweeps.
    rescored = qe.QuantizationSearchParams(rescore=True, oversampling=OVERSAMPLING)
    return qe.SearchParams(hnsw_ef=HNSW_EF, quantization=rescored)


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


def to_filter(
    must: Filters | None = None, exclude_ids: Iterable[int] = (), should: Sequence[Filters] | None = None
) -> qe.Filter | None:
    """Edge's filter for `must`, not `exclude_ids` and one of `should`; None when nothing is asked."""
    parts = filter_parts(must, exclude_ids, should, _condition, lambda group: qe.Filter(must=group))
    if parts is None:
        return None
    # the stubs take invariant collections of unions; ours hold one member type
    must_not: list[qe.ConditionType] | None = (
        [qe.HasIdCondition(point_ids=cast("set[qe.PointId]", set(parts.excluded)))]
        if parts.excluded
        else None
    )
    return qe.Filter(must=parts.must or None, must_not=must_not, should=parts.should or None)


def to_point(point: Point) -> qe.Point:
    """A Point as Edge stores it: the dense vector, the sparse one when there is one, the payload."""
    vector = named_vectors(point, lambda indices, values: qe.SparseVector(indices=indices, values=values))
    return qe.Point(id=int(point.id), vector=vector, payload=dict(point.payload))


class Planned(NamedTuple):
    """A search to send: its slot among the searches asked for, its query and its filter."""

    slot: int
    query: qe.Query
    query_filter: qe.Filter | None
    search: Search


def plan(searches: Sequence[Search]) -> list[Planned]:
    """The searches worth sending, in order; an empty sparse vector finds nothing and is left out."""
    queries: list[tuple[int, qe.Query, Search]] = []
    for slot, search in enumerate(searches):
        if search.sparse is None:
            query = qe.Query.Nearest(floats(cast(ArrayLike, search.vector)), using=DENSE)
        else:
            indices, values = sparse_parts(search.sparse)
            if not indices:
                continue
            query = qe.Query.Nearest(qe.SparseVector(indices=indices, values=values), using=SPARSE)
        queries.append((slot, query, search))
    return [Planned(slot, query, to_filter(s.must, s.exclude_ids, s.should), s) for slot, query, s in queries]


def query_request(planned: Planned, dense: qe.SearchParams) -> qe.QueryRequest:
    """The request of a planned search; `dense` (search_params) applies to dense queries only."""
    search = planned.search
    return qe.QueryRequest(
        limit=int(search.k),
        query=planned.query,
        filter=planned.query_filter,
        with_payload=payload_fields(search.payload),
        params=dense if search.sparse is None else None,
    )


def recommend_query(positives: list[list[float]], negatives: list[list[float]]) -> qe.Query:
    """A query for points like the `positives` vectors and unlike the `negatives`."""
    # Edge takes vectors, not ids; best-score matches the client backend's strategy.
    return qe.Query.RecommendBestScore(
        qe.RecommendQuery(
            positives=cast("list[qe.NamedVector]", positives),
            negatives=cast("list[qe.NamedVector]", negatives),
        ),
        using=DENSE,
    )
