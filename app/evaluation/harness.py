"""Offline evaluation: the app's engines run on a train/test split in a throwaway vector store.

Everything a user's vectors, neighbourhood and exclusions are built from comes from the training
side of the split only; the held-out items stay recommendable and are what the metrics look for.
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from ..catalog.vocab import FLAG_COLUMNS
from ..recommend.fusion import DEFAULT_PARAMS, FusionParams, for_you_recommendations
from ..recommend.items import SONGS, USERS, CatalogData, Recommendation, SongInfo, UserContext, Vector
from ..recommend.popular import popular_recommendations
from ..recommend.registry import APPROACHES as SERVED
from ..recommend.registry import COMPONENTS, FOR_YOU, POPULAR
from ..recommend.taste import taste_vector
from ..vectors import Point, VectorStore
from .metrics import METRICS, popularity_shares, summarize
from .split_catalog import RANDOM, SplitCatalog, random_recommendations

APPROACHES = (*SERVED, RANDOM)
# The cold-start slice reported beside the totals: users with at most this many training positives.
COLD_START_POSITIVES = 3
# The payload indexes of the app's songs collection (app/services/vector_index.py), for items
# that carry the same payload; file-based items set only some of these fields.
SONG_FIELDS = {
    "genre": "keyword",
    "genres": "keyword",
    "emotion": "keyword",
    "artist": "keyword",
    "explicit": "bool",
    "popularity": "integer",
    **dict.fromkeys(FLAG_COLUMNS, "bool"),
}
USER_FIELDS = {"emotions": "keyword", "tags": "keyword"}


class Embedder(Protocol):
    """What the evaluation embeds texts with: app.embeddings.SentenceEmbedder, or a fast fake in tests."""

    def encode(self, texts: Iterable[str], batch_size: int = ...) -> NDArray[np.float32]: ...


class Bar(Protocol):
    """A progress bar: tqdm's, or one that shows nothing."""

    def update(self, n: int = 1) -> object: ...


# progress(total, description): a context-managed Bar.
Progress = Callable[[int, str], AbstractContextManager[Bar]]
# (item ids, their vectors as rows): item_matrix's result, reused by later runs.
ItemVectors = tuple[list[int], Vector]
# runner(ctx, k): one approach's list for a user.
Runner = Callable[[UserContext, int], list[Recommendation]]


@dataclass
class EvalUser:
    """One user's side of the split: what the engines may see, and what they should find."""

    user_id: int
    history: dict[
        int, float
    ]  # training item id -> weight (+ for, - against): all vectors are built from this
    library: frozenset[int]  # every training item: never recommended
    held_out: frozenset[int] = frozenset()  # test items; a user with none is only a neighbour to others
    emotions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    preference_text: str = ""  # stated preferences, embedded when `preference` is not given
    preference: Vector | None = None
    # (item id, tag) assignments the tags were counted from, when they come from the user's own
    # tagging: a validation split recomputes the tags without its held-out items.
    tag_log: tuple[tuple[int, str], ...] = ()


@dataclass
class ItemSet:
    """The catalog: facts, payloads, and vectors (known ones, or texts to embed)."""

    infos: dict[int, SongInfo]  # id -> SongInfo
    payloads: dict[int, dict[str, Any]]  # id -> payload of the song point
    vectors: dict[int, Vector] = field(default_factory=dict)  # id -> vector, reused as is
    texts: dict[int, str] = field(default_factory=dict)  # id -> text, embedded for ids without a vector
    indexed_fields: dict[str, str] = field(default_factory=lambda: dict(SONG_FIELDS))


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass


def _no_progress(total: int, description: str) -> AbstractContextManager[Bar]:
    return nullcontext(_NoBar())


def item_matrix(
    items: ItemSet, embedder: Embedder, batch_size: int = 64, progress: Progress = _no_progress
) -> ItemVectors:
    """(item ids, unit vectors as rows): known vectors reused, the rest embedded in batches."""
    ids = list(items.infos)
    missing = [i for i in ids if i not in items.vectors]
    absent = [i for i in missing if not items.texts.get(i)]
    if absent:
        raise ValueError(f"{len(absent)} items have neither a vector nor a text, e.g. item {absent[0]}")
    encoded: dict[int, Vector] = {}
    with progress(len(missing), "Embedding items") as bar:
        for start in range(0, len(missing), batch_size * 8):
            chunk = missing[start : start + batch_size * 8]
            for item, vector in zip(chunk, embedder.encode([items.texts[i] for i in chunk], batch_size)):
                encoded[item] = vector
            bar.update(len(chunk))
    matrix = np.asarray(
        [items.vectors[i] if i in items.vectors else encoded[i] for i in ids], dtype=np.float32
    )
    return ids, matrix


def preference_vectors(
    users: Sequence[EvalUser], embedder: Embedder, batch_size: int = 64
) -> dict[int, Vector | None]:
    """{user id: preference vector or None}; each distinct stated-preference text is embedded once."""
    texts = sorted({u.preference_text for u in users if u.preference is None and u.preference_text})
    encoded = dict(zip(texts, embedder.encode(texts, batch_size))) if texts else {}
    return {
        u.user_id: u.preference if u.preference is not None else encoded.get(u.preference_text) for u in users
    }


def user_contexts(
    users: Iterable[EvalUser],
    index: Mapping[int, int],
    matrix: Vector,
    preferences: Mapping[int, Vector | None],
) -> dict[int, UserContext]:
    """{user id: UserContext} with taste vectors from training history only, as the app computes them."""
    contexts: dict[int, UserContext] = {}
    for user in users:
        known = [(item, w) for item, w in user.history.items() if w and item in index]
        rows = matrix[[index[item] for item, _ in known]] if known else np.zeros((0, matrix.shape[1]))
        taste = taste_vector(rows, [w for _, w in known], preferences.get(user.user_id))
        contexts[user.user_id] = UserContext(
            user.user_id,
            taste,
            preferences.get(user.user_id),
            tuple(user.emotions),
            tuple(user.tags),
            history=dict(user.history),
            library=frozenset(user.library),
        )
    return contexts


def user_points(users: Iterable[EvalUser], contexts: Mapping[int, UserContext]) -> list[Point]:
    """The users collection's points: taste vector and unit sparse vector of training positives."""
    return [
        # cast: the condition below keeps the users with a taste vector
        Point(
            u.user_id,
            cast(Vector, contexts[u.user_id].taste).tolist(),
            {"user_id": u.user_id, "emotions": list(u.emotions), "tags": list(u.tags)},
            contexts[u.user_id].sparse or None,
        )
        for u in users
        if contexts[u.user_id].taste is not None
    ]


def build_store(
    store: VectorStore, ids: Sequence[int], matrix: Vector, items: ItemSet, points: Iterable[Point]
) -> VectorStore:
    """Fill an empty store with the songs and users collections, as the app's index holds them."""
    store.ensure_collection(SONGS, matrix.shape[1], items.indexed_fields)
    store.ensure_collection(USERS, matrix.shape[1], USER_FIELDS, sparse=True)
    store.upsert(SONGS, [Point(i, matrix[row].tolist(), items.payloads[i]) for row, i in enumerate(ids)])
    store.upsert(USERS, points)
    store.optimize(SONGS)
    store.optimize(USERS)
    return store


def _runners(
    store: VectorStore,
    catalog: CatalogData,
    ids: Sequence[int],
    seed: int,
    params: FusionParams = DEFAULT_PARAMS,
) -> dict[str, Runner]:
    def for_you(ctx: UserContext, k: int) -> list[Recommendation]:
        # As the app serves it: a user the engines know nothing about gets popular songs.
        return for_you_recommendations(ctx, store, catalog, k=k, params=params) or popular_recommendations(
            ctx, catalog, k
        )

    runners = {
        # the outer lambda binds each engine: ruff's B023 does not see through it
        name: (lambda engine: lambda ctx, k: engine(ctx, store, catalog, k=k))(engine)  # noqa: B023
        for name, engine in COMPONENTS.items()
    }
    return {
        FOR_YOU: for_you,
        **runners,
        POPULAR: lambda ctx, k: popular_recommendations(ctx, catalog, k),
        RANDOM: lambda ctx, k: random_recommendations(ctx, ids, k, seed),
    }


def prepare(
    users: Sequence[EvalUser],
    items: ItemSet,
    embedder: Embedder,
    progress: Progress = _no_progress,
    vectors: ItemVectors | None = None,
) -> tuple[list[int], Vector, dict[int, UserContext], SplitCatalog]:
    """(ids, matrix, contexts, catalog) of a split: item vectors (given or embedded), users' training side."""
    ids, matrix = vectors if vectors is not None else item_matrix(items, embedder, progress=progress)
    index = {item: row for row, item in enumerate(ids)}
    contexts = user_contexts(users, index, matrix, preference_vectors(users, embedder))
    catalog = SplitCatalog(items.infos, {u.user_id: u.history for u in users}, (ids, matrix))
    return ids, matrix, contexts, catalog


def run_evaluation(
    users: Sequence[EvalUser],
    items: ItemSet,
    store_factory: Callable[[], VectorStore],
    embedder: Embedder,
    k: int = 10,
    approaches: Sequence[str] = APPROACHES,
    seed: int = 0,
    progress: Progress = _no_progress,
    timings: dict[str, float] | None = None,
    recommended: dict[str, dict[int, list[int]]] | None = None,
    params: FusionParams = DEFAULT_PARAMS,
    vectors: ItemVectors | None = None,
) -> dict[str, Any]:
    """Every approach scored on the users with held-out items.

    {"k", "users", "approaches": {approach: {metric: mean}}, "slices", "fusion"}.
    store_factory() must give an empty store the evaluation may fill and closes afterwards.
    progress(total, description) gives a context-managed bar with update(n). Given dicts, timings
    receives the seconds each phase took and recommended every list: {approach: {user id: [ids]}}.
    params are For you's fusion parameters; vectors an (ids, matrix) pair already embedded.
    "slices" holds the same metrics for the cold-start users (at most COLD_START_POSITIVES positives).
    """
    unknown = [a for a in approaches if a not in APPROACHES]
    if unknown:
        raise ValueError(f"unknown approaches {unknown}: expected some of {', '.join(APPROACHES)}")
    if not items.infos:
        raise ValueError("the catalog is empty: nothing to recommend")
    timings = {} if timings is None else timings
    started = time.perf_counter()
    ids, matrix, contexts, catalog = prepare(users, items, embedder, progress, vectors)
    timings["vectors"] = time.perf_counter() - started
    scored = [u for u in users if u.held_out]
    store = store_factory()
    try:
        started = time.perf_counter()
        build_store(store, ids, matrix, items, user_points(users, contexts))
        timings["index"] = time.perf_counter() - started
        started = time.perf_counter()
        runners = _runners(store, catalog, ids, seed, params)
        lists: dict[str, dict[int, list[int]]] = {name: {} for name in approaches}
        if recommended is not None:
            recommended.update(lists)
        with progress(len(scored), "Recommending") as bar:
            for user in scored:
                ctx = contexts[user.user_id]
                for name in approaches:
                    lists[name][user.user_id] = [r.song_id for r in runners[name](ctx, k)]
                bar.update(1)
        timings["recommend"] = time.perf_counter() - started
    finally:
        store.close()
    counts = dict.fromkeys(ids, 0)
    for user in users:
        for item in user.library:
            if item in counts:
                counts[item] += 1
    shares, unseen = popularity_shares(counts, len(users))
    index = {item: row for row, item in enumerate(ids)}
    vector_of = lambda found: matrix[[index[i] for i in found]]  # noqa: E731

    def report(group: Sequence[EvalUser]) -> dict[str, dict[str, float]]:
        held_out = {u.user_id: set(u.held_out) for u in group}
        return {
            name: summarize(
                {u: lists[name][u] for u in held_out}, held_out, k, len(ids), vector_of, shares, unseen
            )
            for name in approaches
        }

    cold = [u for u in scored if sum(1 for w in u.history.values() if w > 0) <= COLD_START_POSITIVES]
    return {
        "k": k,
        "users": len(scored),
        "approaches": report(scored),
        "slices": {
            "cold_start": {
                "users": len(cold),
                "max_positives": COLD_START_POSITIVES,
                "approaches": report(cold) if cold else {},
            }
        },
        "fusion": params.to_json(),
    }


LABELS = {
    "ndcg": "NDCG@{k}",
    "recall": "Recall@{k}",
    "hit_rate": "HitRate@{k}",
    "precision": "Precision@{k}",
    "map": "MAP@{k}",
    "coverage": "Coverage",
    "diversity": "Diversity",
    "novelty": "Novelty",
}


def format_table(result: Mapping[str, Any]) -> str:
    """The result as a plain-text table: one row per approach, one column per metric."""
    k = result["k"]
    names = [LABELS[m].format(k=k) for m in METRICS]
    width = max(len(n) for n in names) + 2
    lines = [f"{'approach':<14}" + "".join(f"{n:>{width}}" for n in names)]
    for approach, values in result["approaches"].items():
        lines.append(f"{approach:<14}" + "".join(f"{values[m]:>{width}.4f}" for m in METRICS))
    lines.append(f"({result['users']} users with held-out items; novelty in bits)")
    cold = result.get("slices", {}).get("cold_start")
    if cold and cold["approaches"]:
        lines.append(
            f"Cold start: {cold['users']} users with at most {cold['max_positives']} training positives"
        )
        for approach, values in cold["approaches"].items():
            lines.append(f"{approach:<14}" + "".join(f"{values[m]:>{width}.4f}" for m in METRICS))
    return "\n".join(lines)
