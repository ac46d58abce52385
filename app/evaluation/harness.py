"""Offline evaluation: the app's engines run on a train/test split in a throwaway vector store.

Everything a user's vectors, neighbourhood and exclusions are built from comes from the training
side of the split only (split.py builds it); the held-out items stay recommendable and are what
the metrics look for.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..recommend.fusion import DEFAULT_PARAMS, FusionParams, for_you_recommendations
from ..recommend.items import CatalogData, Recommendation, UserContext
from ..recommend.popular import popular_recommendations
from ..recommend.registry import APPROACHES as SERVED
from ..recommend.registry import COMPONENTS, FOR_YOU, POPULAR
from ..vectors import VectorStore
from .metrics import METRICS, RANKING, paired_difference, popularity_shares, summarize
from .split import (
    Embedder,
    EvalUser,
    ItemSet,
    ItemVectors,
    Progress,
    build_store,
    no_progress,
    prepare,
    user_points,
)
from .split_catalog import RANDOM, random_recommendations

APPROACHES = (*SERVED, RANDOM)
# The cold-start slice reported beside the totals: users with at most this many training positives.
COLD_START_POSITIVES = 3
# For you is compared with every other approach user by user on this metric (the measure).
PAIRED_METRIC = "ndcg"
# runner(ctx, k): one approach's list for a user.
Runner = Callable[[UserContext, int], list[Recommendation]]


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


def run_evaluation(
    users: Sequence[EvalUser],
    items: ItemSet,
    store_factory: Callable[[], VectorStore],
    embedder: Embedder,
    k: int = 10,
    approaches: Sequence[str] = APPROACHES,
    seed: int = 0,
    progress: Progress = no_progress,
    timings: dict[str, float] | None = None,
    recommended: dict[str, dict[int, list[int]]] | None = None,
    params: FusionParams = DEFAULT_PARAMS,
    vectors: ItemVectors | None = None,
) -> dict[str, Any]:
    """Every approach scored on the users with held-out items.

    {"k", "users", "approaches": {approach: {metric: mean}}, "paired", "slices", "fusion"}.
    store_factory() must give an empty store the evaluation may fill and closes afterwards.
    progress(total, description) gives a context-managed bar with update(n). Given dicts, timings
    receives the seconds each phase took and recommended every list: {approach: {user id: [ids]}}.
    params are For you's fusion parameters; vectors an (ids, matrix) pair already embedded.
    "slices" holds the same metrics for the cold-start users (at most COLD_START_POSITIVES positives).
    "paired" is For you minus each other approach, per user on PAIRED_METRIC: {"metric", "approach",
    "against": {approach: {"difference", "se"}}}, or {} when For you was not run; each slice has its own.
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

    def paired(group: Sequence[EvalUser]) -> dict[str, Any]:
        # For you minus each other approach, per user: a gap between two lists is read against
        # its own standard error, not against either list's (the users' spread cancels out).
        if FOR_YOU not in lists or not group:
            return {}
        metric = RANKING[PAIRED_METRIC]
        values = {name: [metric(lists[name][u.user_id], u.held_out, k) for u in group] for name in approaches}
        return {
            "metric": PAIRED_METRIC,
            "approach": FOR_YOU,
            "against": {
                name: dict(zip(("difference", "se"), paired_difference(values[FOR_YOU], values[name])))
                for name in approaches
                if name != FOR_YOU
            },
        }

    cold = [u for u in scored if sum(1 for w in u.history.values() if w > 0) <= COLD_START_POSITIVES]
    return {
        "k": k,
        "users": len(scored),
        "approaches": report(scored),
        "paired": paired(scored),
        "slices": {
            "cold_start": {
                "users": len(cold),
                "max_positives": COLD_START_POSITIVES,
                "approaches": report(cold) if cold else {},
                "paired": paired(cold),
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
    lines += _paired_lines(result.get("paired", {}), k)
    cold = result.get("slices", {}).get("cold_start")
    if cold and cold["approaches"]:
        lines.append(
            f"Cold start: {cold['users']} users with at most {cold['max_positives']} training positives"
        )
        for approach, values in cold["approaches"].items():
            lines.append(f"{approach:<14}" + "".join(f"{values[m]:>{width}.4f}" for m in METRICS))
    return "\n".join(lines)


def _paired_lines(paired: Mapping[str, Any], k: int) -> list[str]:
    """For you minus each approach, one line each, with the difference's standard error."""
    if not paired:
        return []
    label = LABELS[paired["metric"]].format(k=k)
    lines = [f"{paired['approach']} minus each approach, {label} paired per user (standard error):"]
    for name, gap in paired["against"].items():
        lines.append(f"  {name:<14}{gap['difference']:+.4f} ({gap['se']:.4f})")
    return lines
