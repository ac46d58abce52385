"""Argument normalisation and search tuning shared by the Edge and qdrant-client backends."""

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from .base import Filters, PayloadFields, Range, SparseVector, VectorStoreError

Schema = TypeVar("Schema")

# Search tuning, measured on this 2-core machine with bench/vectors.py (384-d "perturbed" vectors:
# 200 cluster centres + noise; taste queries between two clusters, the hard case for HNSW), Edge:
#   exact top-10: 0.5 ms at 10,000 points, 1.1 ms at 20,000, 5.7 ms at 100,000.
#   HNSW at 100,000 (m=16, ef_construct=100: optimize 17 s), hnsw_ef -> recall@10 / p50:
#     100 (the default) 0.85 / 0.7 ms, 256 0.90 / 0.9 ms, 512 0.98 / 1.2 ms, 1024 1.00 / 1.8 ms.
#   m=32, ef_construct=200 took 35 s to optimize for 0.99 at ef 512 in 1.3 ms: no better per
#   millisecond, so the default graph stays and queries widen instead. Real MiniLM vectors are
#   easier (field notes: 0.92 at the default ef, 0.99 at 256 on 10,000), so 512 leaves margin.
# At 20,000 points an exact scan costs what HNSW at ef 512 does, and it is always right.
EXACT_BELOW = 20_000
HNSW_EF = 512
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100


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
