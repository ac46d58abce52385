"""Our filters, searches and points in qdrant-client's models, and its answers in ours (no client state)."""

from collections.abc import Iterable, Sequence
from typing import Any, cast

from numpy.typing import ArrayLike
from qdrant_client import models

from .base import DENSE, SPARSE, Filters, Point, Search
from .filters import (
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
    sparse_parts,
)

SCHEMAS = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "bool": models.PayloadSchemaType.BOOL,
    "integer": models.PayloadSchemaType.INTEGER,
    "float": models.PayloadSchemaType.FLOAT,
}


def collection_config(dim: int, sparse: bool) -> dict[str, Any]:
    """create_collection's settings: cosine `dim`-d vectors (and sparse ones), HNSW and int8 from filters.py."""
    return {
        "vectors_config": {
            DENSE: models.VectorParams(size=int(dim), distance=models.Distance.COSINE),
        },
        "sparse_vectors_config": {SPARSE: models.SparseVectorParams()} if sparse else None,
        "hnsw_config": models.HnswConfigDiff(
            m=HNSW_M,
            ef_construct=HNSW_EF_CONSTRUCT,
            full_scan_threshold=full_scan_threshold_kb(dim),
        ),
        "quantization_config": models.ScalarQuantization(  # local mode ignores it
            scalar=models.ScalarQuantizationConfig(
                type=models.ScalarType.INT8, quantile=QUANTILE, always_ram=True
            )
        ),
    }


def config_fits(info: models.CollectionInfo, dim: int, sparse: bool) -> bool:
    """Whether an existing collection has the `dim`-d dense vectors (and the sparse ones) asked for."""
    # named vectors (created by collection_config) come back as a dict
    dense = (info.config.params.vectors or {}).get(DENSE)  # type: ignore[union-attr]
    has_sparse = SPARSE in (info.config.params.sparse_vectors or {})
    return not (dense is None or dense.size != int(dim) or (sparse and not has_sparse))


def search_params(server: bool) -> models.SearchParams | None:
    """A dense search's settings: None in local mode, HNSW on int8 vectors, rescored, on a server."""
    # Local mode searches exactly and warns about search_params; the server uses its HNSW and
    # its int8 vectors, rescored (filters.py).
    if not server:
        return None
    rescored = models.QuantizationSearchParams(rescore=True, oversampling=OVERSAMPLING)
    return models.SearchParams(hnsw_ef=HNSW_EF, quantization=rescored)


def _condition(field: str, op: str, value: Any) -> models.Condition:
    if op == "eq":
        return models.FieldCondition(key=field, match=models.MatchValue(value=value))
    if op == "any":
        return models.FieldCondition(key=field, match=models.MatchAny(any=value))
    if op == "either":
        return models.Filter(
            should=[models.FieldCondition(key=field, match=models.MatchValue(value=v)) for v in value]
        )
    return models.FieldCondition(key=field, range=models.Range(gte=value.gte, lte=value.lte))


def to_filter(
    must: Filters | None = None, exclude_ids: Iterable[int] = (), should: Sequence[Filters] | None = None
) -> models.Filter | None:
    """Qdrant's filter for `must`, not `exclude_ids` and one of `should`; None when nothing is asked."""
    parts = filter_parts(must, exclude_ids, should, _condition, lambda group: models.Filter(must=group))
    if parts is None:
        return None
    # qdrant-client's models take invariant lists of unions; our lists hold one member type
    must_not: list[models.Condition] | None = (
        [models.HasIdCondition(has_id=cast("list[models.ExtendedPointId]", parts.excluded))]
        if parts.excluded
        else None
    )
    return models.Filter(must=parts.must or None, must_not=must_not, should=parts.should or None)


def to_point(point: Point) -> models.PointStruct:
    """A Point as Qdrant stores it: the dense vector, the sparse one when there is one, the payload."""
    vector = named_vectors(point, lambda indices, values: models.SparseVector(indices=indices, values=values))
    return models.PointStruct(id=int(point.id), vector=vector, payload=dict(point.payload))


def query_request(search: Search, server: bool) -> models.QueryRequest:
    """One Search as a request of a batch; search_params(server) applies to dense queries only."""
    query: Any
    if search.sparse is None:
        query, using = floats(cast(ArrayLike, search.vector)), DENSE
    else:
        indices, values = sparse_parts(search.sparse)
        query, using = models.SparseVector(indices=indices, values=values), SPARSE
    return models.QueryRequest(
        query=query,
        using=using,
        filter=to_filter(search.must, search.exclude_ids, search.should),
        limit=int(search.k),
        with_payload=payload_fields(search.payload),
        params=search_params(server) if using == DENSE else None,
    )


def recommend_query(positive: list[int], negative: list[int]) -> models.RecommendQuery:
    """A query for points like the `positive` example ids and unlike the `negative` ones."""
    return models.RecommendQuery(
        recommend=models.RecommendInput(
            positive=cast("list[models.VectorInput]", positive),
            negative=cast("list[models.VectorInput]", negative),
            strategy=models.RecommendStrategy.BEST_SCORE,  # Edge has no average strategy
        )
    )
