"""Search answers that a user's own activity cannot change, kept across the recomputations it causes.

A like, a rating or a dislike bumps the user's rec_version (cache.py), so their next request computes
its lists again, and most of that work must be redone: the like moved the taste vector. One search
has not changed. Knowledge asks for songs near the user's *preference* vector (the profile's words),
in the profile's moods and tags, and a like changes only which ids it excludes (the library). At
100,000 songs that filtered search is the dearest part of a For you miss: 6.8 ms CPU p50 of about
20 (its payload filter, not the vector scoring, is most of it), against 2.8 ms for the same search
unfiltered.

So a search whose query is the preference vector goes out for MARGIN answers more than it asks,
and that answer is kept in the recommendation cache with the ids it excluded, under a key of the
collection, the query, the filters, the payload fields and the catalog's generation. A later
search with the same key, for any k, is served from the entry when it excludes at least those ids
(a library only grows with likes, plays and dislikes) and, with its own excluded ids dropped, k
answers remain or the entry holds every match there is. k is left out of the key so that lists of
one user that ask for different pools share an entry: For you asks knowledge for 72 candidates, the
Knowledge tab for 40-60, so whichever is computed first serves the other while it holds enough.
Anything else (an undone like, a library that outgrew the margin, a pool larger than the entry)
sends the search again and keeps the new answer. For an exact search (a catalog under
filters.EXACT_BELOW songs, or a filter that leaves fewer) the served answer is the one the store
would give; for an HNSW search it is one of the same recall.

Freshness is the lists' own. An entry lives for the cache's TTL, so imports, new songs and embedding
runs reach it within that time, as they reach a cached list. A profile save changes the preference
vector or the filters, so the key. An admin's edit or deletion of a song must show at once; it
writes the audit log in its own transaction, and the newest audit entry's id (the generation) is
part of the key, so every worker looks up a new key afterwards.
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from hashlib import blake2b
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ...vectors import VectorStore
from ...vectors.base import Filters, Hit, PayloadFields, Point, Search, SparseVector
from ..catalog.stamp import generation
from . import cache

# Answers kept beyond the k asked for, so the user's next likes are served from the same entry: each
# newly excluded song among the answers uses one, and the search is sent again once they run out.
# Every extra answer costs its payload's conversion and pickling on the first search.
MARGIN = 16


def search_key(collection: str, search: Search, catalog_generation: str) -> str:
    """The cache key of a search's answer: everything but k and its excluded ids (the entry holds those)."""
    vector = np.ascontiguousarray(search.vector, dtype=np.float32)
    parts = json.dumps([search.must, search.should, search.payload], sort_keys=True, default=repr)
    digest = blake2b(vector.tobytes() + parts.encode(), digest_size=16).hexdigest()
    return f"srch:{collection}:{catalog_generation}:{digest}"


def to_entry(hits: list[Hit], sent: Search, excluded: frozenset[int]) -> dict[str, Any]:
    """What is kept of an answer: its hits as plain lists (pickled in half the time of Hit objects),
    whether it holds every match there is (fewer than asked), and the ids it excluded."""
    return {
        "ids": [hit.id for hit in hits],
        "scores": [hit.score for hit in hits],
        "payloads": [hit.payload for hit in hits],
        "complete": len(hits) < sent.k,
        "excluded": excluded,
    }


def served(entry: dict[str, Any], search: Search, excluded: frozenset[int]) -> list[Hit] | None:
    """The search's answer from a kept entry, or None when the entry cannot tell it."""
    if not entry["excluded"] <= excluded:  # an id it left out may be an answer now
        return None
    hits = [
        Hit(id_, score, payload)
        for id_, score, payload in zip(entry["ids"], entry["scores"], entry["payloads"])
        if id_ not in excluded
    ]
    if len(hits) >= search.k or entry["complete"]:
        return hits[: search.k]
    return None


class StableSearches(VectorStore):
    """A vector store for one request that keeps and reuses the answers of searches by `stable`.

    `stable` is the user's preference vector; searches by any other vector, sparse searches and
    every other method go to `store` as they are. Made by `wrap`, which leaves the store alone when
    the cache is off.
    """

    def __init__(self, store: VectorStore, stable: ArrayLike, catalog_generation: Callable[[], str]) -> None:
        self.store = store
        self.backend = store.backend
        self.optimize_every = store.optimize_every
        self._stable = np.asarray(stable)
        self._generation = catalog_generation
        self._generation_value: str | None = None

    def _cacheable(self, search: Search) -> bool:
        if search.sparse is not None or search.vector is None:
            return False
        vector = np.asarray(search.vector)
        return vector.shape == self._stable.shape and bool(np.array_equal(vector, self._stable))

    def _key(self, collection: str, search: Search) -> str:
        if self._generation_value is None:  # read once a request, and only when a search needs it
            self._generation_value = self._generation()
        return search_key(collection, search, self._generation_value)

    def search_batch(self, name: str, searches: Sequence[Search]) -> list[list[Hit]]:
        """search_batch's answers; searches by the stable vector from kept entries where they can be."""
        results: list[list[Hit] | None] = [None] * len(searches)
        sending: list[tuple[int, Search, str | None, frozenset[int]]] = []
        for slot, search in enumerate(searches):
            if not self._cacheable(search):  # sent as it is (its exclude_ids may be a one-pass iterator)
                sending.append((slot, search, None, frozenset()))
                continue
            excluded = frozenset(search.exclude_ids)
            key = self._key(name, search)
            entry = cache.get(key)
            answer = served(entry, search, excluded) if entry is not None else None
            if answer is not None:
                results[slot] = answer
                continue
            wide = replace(search, k=search.k + MARGIN, exclude_ids=excluded)
            sending.append((slot, wide, key, excluded))
        found = self.store.search_batch(name, [search for _, search, _, _ in sending]) if sending else []
        for (slot, sent, key, excluded), hits in zip(sending, found):
            if key is None:
                results[slot] = hits
                continue
            entry = to_entry(hits, sent, excluded)
            cache.put(key, entry)
            results[slot] = served(entry, searches[slot], excluded)
        return [hits if hits is not None else [] for hits in results]

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
        (hits,) = self.search_batch(name, [Search(vector, k, must, exclude_ids, should, payload)])
        return hits

    # -- everything else goes to the store as it is -------------------------------------------

    def ensure_collection(
        self, name: str, dim: int, indexed_fields: Mapping[str, str] | None = None, sparse: bool = False
    ) -> None:
        self.store.ensure_collection(name, dim, indexed_fields, sparse)

    def upsert(self, name: str, points: Iterable[Point]) -> None:
        self.store.upsert(name, points)

    def delete(self, name: str, ids: Iterable[int]) -> None:
        self.store.delete(name, ids)

    def retrieve(self, name: str, ids: Iterable[int]) -> dict[int, list[float]]:
        return self.store.retrieve(name, ids)

    def search_sparse(
        self,
        name: str,
        sparse: SparseVector,
        k: int = 10,
        must: Filters | None = None,
        exclude_ids: Iterable[int] = (),
        payload: PayloadFields = True,
    ) -> list[Hit]:
        return self.store.search_sparse(name, sparse, k, must, exclude_ids, payload)

    def recommend(
        self,
        name: str,
        positive: Iterable[int],
        negative: Iterable[int] = (),
        k: int = 10,
        must: Filters | None = None,
        exclude_ids: Iterable[int] = (),
    ) -> list[Hit]:
        return self.store.recommend(name, positive, negative, k, must, exclude_ids)

    def count(self, name: str, must: Filters | None = None, exact: bool = True) -> int:
        return self.store.count(name, must, exact)

    def ids(self, name: str) -> set[int]:
        return self.store.ids(name)

    def drop_collection(self, name: str) -> None:
        self.store.drop_collection(name)

    def collections(self) -> list[str]:
        return self.store.collections()

    def optimize(self, name: str) -> None:
        self.store.optimize(name)

    def close(self) -> None:
        self.store.close()


def wrap(store: VectorStore, stable: ArrayLike | None) -> VectorStore:
    """`store`, keeping searches by `stable` (the preference vector) when there is one and the cache is on."""
    if stable is None or cache.ttl() <= 0:
        return store
    return StableSearches(store, stable, generation)
