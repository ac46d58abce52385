"""Offline evaluation: the app's engines run on a train/test split in a throwaway vector store.

Everything a user's vectors, neighbourhood and exclusions are built from comes from the training
side of the split only; the held-out items stay recommendable and are what the metrics look for.
"""

import time
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

from ..catalog.vocab import FLAG_COLUMNS
from ..recommend.fusion import DEFAULT_PARAMS, for_you_recommendations
from ..recommend.items import SONGS, USERS, UserContext
from ..recommend.popular import popular_recommendations
from ..recommend.registry import APPROACHES as SERVED
from ..recommend.registry import COMPONENTS, FOR_YOU, POPULAR
from ..recommend.taste import taste_vector
from ..vectors import Point
from .metrics import METRICS, popularity_shares, summarize
from .split_catalog import RANDOM, SplitCatalog, random_recommendations

APPROACHES = (*SERVED, RANDOM)
# The cold-start slice reported beside the totals: users with at most this many training positives.
COLD_START_POSITIVES = 3
# The payload indexes of the app's songs collection (app/services/vector_index.py), for items
# that carry the same payload; file-based items set only some of these fields.
SONG_FIELDS = {"genre": "keyword", "genres": "keyword", "emotion": "keyword", "artist": "keyword",
               "explicit": "bool", "popularity": "integer", **{flag: "bool" for flag in FLAG_COLUMNS}}
USER_FIELDS = {"emotions": "keyword", "tags": "keyword"}


@dataclass
class EvalUser:
    """One user's side of the split: what the engines may see, and what they should find."""

    user_id: int
    history: dict  # training item id -> weight (+ for, - against): all vectors are built from this
    library: frozenset  # every training item: never recommended
    held_out: frozenset = frozenset()  # test items; a user with none is only a neighbour to others
    emotions: tuple = ()
    tags: tuple = ()
    preference_text: str = ""  # stated preferences, embedded when `preference` is not given
    preference: np.ndarray | None = None
    # (item id, tag) assignments the tags were counted from, when they come from the user's own
    # tagging: a validation split recomputes the tags without its held-out items.
    tag_log: tuple = ()


@dataclass
class ItemSet:
    """The catalog: facts, payloads, and vectors (known ones, or texts to embed)."""

    infos: dict  # id -> SongInfo
    payloads: dict  # id -> payload of the song point
    vectors: dict = field(default_factory=dict)  # id -> vector, reused as is
    texts: dict = field(default_factory=dict)  # id -> text, embedded for ids without a vector
    indexed_fields: dict = field(default_factory=lambda: dict(SONG_FIELDS))


class _NoBar:
    def update(self, n=1):
        pass


def _no_progress(total, description):
    return nullcontext(_NoBar())


def item_matrix(items, embedder, batch_size=64, progress=_no_progress):
    """(item ids, unit vectors as rows): known vectors reused, the rest embedded in batches."""
    ids = list(items.infos)
    missing = [i for i in ids if i not in items.vectors]
    absent = [i for i in missing if not items.texts.get(i)]
    if absent:
        raise ValueError(f"{len(absent)} items have neither a vector nor a text, e.g. item {absent[0]}")
    encoded = {}
    with progress(len(missing), "Embedding items") as bar:
        for start in range(0, len(missing), batch_size * 8):
            chunk = missing[start:start + batch_size * 8]
            for item, vector in zip(chunk, embedder.encode([items.texts[i] for i in chunk], batch_size)):
                encoded[item] = vector
            bar.update(len(chunk))
    matrix = np.asarray([items.vectors[i] if i in items.vectors else encoded[i] for i in ids], dtype=np.float32)
    return ids, matrix


def preference_vectors(users, embedder, batch_size=64):
    """{user id: preference vector or None}; each distinct stated-preference text is embedded once."""
    texts = sorted({u.preference_text for u in users if u.preference is None and u.preference_text})
    encoded = dict(zip(texts, embedder.encode(texts, batch_size))) if texts else {}
    return {u.user_id: u.preference if u.preference is not None else encoded.get(u.preference_text)
            for u in users}


def user_contexts(users, index, matrix, preferences):
    """{user id: UserContext} with taste vectors from training history only, as the app computes them."""
    contexts = {}
    for user in users:
        known = [(item, w) for item, w in user.history.items() if w and item in index]
        rows = matrix[[index[item] for item, _ in known]] if known else np.zeros((0, matrix.shape[1]))
        taste = taste_vector(rows, [w for _, w in known], preferences.get(user.user_id))
        contexts[user.user_id] = UserContext(
            user.user_id, taste, preferences.get(user.user_id), tuple(user.emotions), tuple(user.tags),
            history=dict(user.history), library=frozenset(user.library),
        )
    return contexts


def user_points(users, contexts):
    """The users collection's points: taste vector and unit sparse vector of training positives."""
    return [
        Point(u.user_id, contexts[u.user_id].taste.tolist(),
              {"user_id": u.user_id, "emotions": list(u.emotions), "tags": list(u.tags)},
              contexts[u.user_id].sparse or None)
        for u in users if contexts[u.user_id].taste is not None
    ]


def build_store(store, ids, matrix, items, points):
    """Fill an empty store with the songs and users collections, as the app's index holds them."""
    store.ensure_collection(SONGS, matrix.shape[1], items.indexed_fields)
    store.ensure_collection(USERS, matrix.shape[1], USER_FIELDS, sparse=True)
    store.upsert(SONGS, [Point(i, matrix[row].tolist(), items.payloads[i]) for row, i in enumerate(ids)])
    store.upsert(USERS, points)
    store.optimize(SONGS)
    store.optimize(USERS)
    return store


def _runners(store, catalog, ids, seed, params=DEFAULT_PARAMS):
    def for_you(ctx, k):
        # As the app serves it: a user the engines know nothing about gets popular songs.
        return (for_you_recommendations(ctx, store, catalog, k=k, params=params)
                or popular_recommendations(ctx, catalog, k))

    runners = {name: (lambda engine: lambda ctx, k: engine(ctx, store, catalog, k=k))(engine)
               for name, engine in COMPONENTS.items()}
    return {
        FOR_YOU: for_you,
        **runners,
        POPULAR: lambda ctx, k: popular_recommendations(ctx, catalog, k),
        RANDOM: lambda ctx, k: random_recommendations(ctx, ids, k, seed),
    }


def prepare(users, items, embedder, progress=_no_progress, vectors=None):
    """(ids, matrix, contexts, catalog) for a split: item vectors (given or embedded) and users' training side."""
    ids, matrix = vectors if vectors is not None else item_matrix(items, embedder, progress=progress)
    index = {item: row for row, item in enumerate(ids)}
    contexts = user_contexts(users, index, matrix, preference_vectors(users, embedder))
    catalog = SplitCatalog(items.infos, {u.user_id: u.history for u in users}, (ids, matrix))
    return ids, matrix, contexts, catalog


def run_evaluation(users, items, store_factory, embedder, k=10, approaches=APPROACHES, seed=0,
                   progress=_no_progress, timings=None, recommended=None, params=DEFAULT_PARAMS, vectors=None):
    """{"k", "users", "approaches": {approach: {metric: mean}}, "slices", "fusion"} for every user with held-out items.

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
        lists = {name: {} for name in approaches}
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

    def report(group):
        held_out = {u.user_id: set(u.held_out) for u in group}
        return {name: summarize({u: lists[name][u] for u in held_out}, held_out, k, len(ids), vector_of, shares,
                                unseen) for name in approaches}

    cold = [u for u in scored if sum(1 for w in u.history.values() if w > 0) <= COLD_START_POSITIVES]
    return {
        "k": k,
        "users": len(scored),
        "approaches": report(scored),
        "slices": {"cold_start": {"users": len(cold), "max_positives": COLD_START_POSITIVES,
                                  "approaches": report(cold) if cold else {}}},
        "fusion": params.to_json(),
    }


LABELS = {"ndcg": "NDCG@{k}", "recall": "Recall@{k}", "hit_rate": "HitRate@{k}", "precision": "Precision@{k}",
          "map": "MAP@{k}", "coverage": "Coverage", "diversity": "Diversity", "novelty": "Novelty"}


def format_table(result):
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
        lines.append(f"Cold start: {cold['users']} users with at most {cold['max_positives']} training positives")
        for approach, values in cold["approaches"].items():
            lines.append(f"{approach:<14}" + "".join(f"{values[m]:>{width}.4f}" for m in METRICS))
    return "\n".join(lines)
