"""Fitting For you on a validation split carved from the training data, never from the test data.

Each user with enough training positives lends a share of them to validation; vectors, the users
collection, the item model and popularity are rebuilt from what remains, the component engines run
as the app runs them, and app/evaluation/tuning.py fits the fusion to find the validation songs.
Some users are also replayed as newcomers (a few positives only), so the fit sees cold starts and
can tell whether weights that follow each user's evidence beat one global set.
"""

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..embeddings import preference_text
from ..recommend.fusion import FusionParams, component_lists
from ..recommend.items import UserContext, Vector
from ..recommend.taste import taste_vector
from ..vectors import VectorStore
from .files import tags_from_log
from .selection import fit_checked
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
from .tuning import NEWCOMER_POSITIVES, Case

VALIDATION_SHARE = 0.2  # as the 80/20 test split: validation should look like the test it stands for
MIN_POSITIVES = 5  # fewer, and a user could lose most of what their lists are built from
# Share of validation users also replayed as newcomers with 1-3 positives. Enough cases for the
# evidence constant to matter, few enough that the population stays mostly like the test's.
NEWCOMER_SHARE = 0.25
# A small data set gives few validation users (the 500-user demo: ~600 cases, NDCG's standard error
# as large as the differences the fit chooses between); differently seeded splits are pooled until
# about MIN_USERS users are scored. Last.fm's 1,870 eligible users need one split.
MIN_USERS = 1500
MAX_FOLDS = 5


def carve_validation(
    users: Iterable[EvalUser],
    share: float = VALIDATION_SHARE,
    min_positives: int = MIN_POSITIVES,
    seed: int | str = 0,
) -> list[EvalUser]:
    """The users with a seeded share of their training positives moved to held_out (test items dropped).

    held_out of the given users (the test side) is discarded: nothing of it reaches the fit.
    """
    carved = []
    for user in users:
        positives = sorted(item for item, weight in user.history.items() if weight > 0)
        held: set[int] = set()
        if len(positives) >= min_positives:
            rng = random.Random(f"{seed}:{user.user_id}")
            held = set(rng.sample(positives, max(1, round(share * len(positives)))))
        stated: dict[str, Any] = {}
        if user.tag_log and held:
            # Tags the user put on the held-out items would tell knowledge what to find.
            tags = tags_from_log(user.tag_log, exclude=held)
            stated = {
                "tags": tags,
                "preference_text": preference_text(user.emotions, tags),
                "preference": None,
            }
        carved.append(
            replace(
                user,
                history={i: w for i, w in user.history.items() if i not in held},
                library=frozenset(user.library - held),
                held_out=frozenset(held),
                **stated,
            )
        )
    return carved


def _newcomer(ctx: UserContext, matrix: Vector, index: Mapping[int, int], rng: random.Random) -> UserContext:
    """The same user as if they had just joined: 1-3 of their positives, stated preferences kept."""
    positives = sorted(s for s, w in ctx.history.items() if w > 0)
    kept = rng.sample(positives, min(len(positives), rng.randint(1, NEWCOMER_POSITIVES)))
    history = {s: ctx.history[s] for s in kept}
    known = [s for s in kept if s in index]
    taste = (
        taste_vector(matrix[[index[s] for s in known]], [history[s] for s in known], ctx.preference)
        if known
        else ctx.preference
    )
    return UserContext(
        ctx.user_id, taste, ctx.preference, ctx.emotions, ctx.tags, history=history, library=frozenset(kept)
    )


def folds_for(users: Iterable[EvalUser], min_positives: int = MIN_POSITIVES) -> int:
    """How many validation splits to pool: enough for about MIN_USERS scored users, at most MAX_FOLDS."""
    eligible = sum(1 for u in users if sum(1 for w in u.history.values() if w > 0) >= min_positives)
    return max(1, min(MAX_FOLDS, math.ceil(MIN_USERS / max(1, eligible))))


def validation_cases(
    users: Sequence[EvalUser],
    items: ItemSet,
    store_factory: Callable[[], VectorStore],
    embedder: Embedder,
    k: int = 10,
    seed: int = 0,
    progress: Progress = no_progress,
    vectors: ItemVectors | None = None,
    folds: int | None = None,
) -> list[Case]:
    """[tuning.Case] from `folds` validation splits (differently seeded) of the given (training) users."""
    cases: list[Case] = []
    for fold in range(folds or folds_for(users)):
        cases += _fold_cases(
            users, items, store_factory, embedder, k, f"{seed}:{fold}" if fold else seed, progress, vectors
        )
    return cases


def _fold_cases(
    users: Sequence[EvalUser],
    items: ItemSet,
    store_factory: Callable[[], VectorStore],
    embedder: Embedder,
    k: int,
    seed: int | str,
    progress: Progress,
    vectors: ItemVectors | None,
) -> list[Case]:
    carved = carve_validation(users, seed=seed)
    ids, matrix, contexts, catalog = prepare(carved, items, embedder, progress, vectors)
    index = {item: row for row, item in enumerate(ids)}
    popularity = {i: info.popularity / 100 for i, info in items.infos.items()}
    rng = random.Random(seed)
    scored = [u for u in carved if u.held_out]
    replays = [(contexts[u.user_id], u) for u in scored]
    replays += [
        (_newcomer(contexts[u.user_id], matrix, index, rng), u)
        for u in scored
        if rng.random() < NEWCOMER_SHARE
    ]
    cases: list[Case] = []
    store = store_factory()
    try:
        build_store(store, ids, matrix, items, user_points(carved, contexts))
        with progress(len(replays), "Validation lists") as bar:
            for ctx, user in replays:
                # Every list, as For you asks for them (the default weights leave none out).
                lists = component_lists(ctx, store, catalog, k)
                candidates = {item.song_id for found in lists.values() for item in found}
                cases.append(
                    Case(
                        len(ctx.positives),
                        lists,
                        user.held_out,
                        {s: popularity.get(s, 0.0) for s in candidates},
                        {s: items.infos[s].artist for s in candidates if s in items.infos},
                        user.user_id,
                    )
                )
                bar.update(1)
    finally:
        store.close()
    return cases


def tune_fusion(
    users: Sequence[EvalUser],
    items: ItemSet,
    store_factory: Callable[[], VectorStore],
    embedder: Embedder,
    k: int = 10,
    seed: int = 0,
    progress: Progress = no_progress,
    vectors: ItemVectors | None = None,
    source: str = "",
) -> FusionParams:
    """FusionParams fitted on a validation split of the training users and checked on the cases each
    half of the fit did not see (selection.fit_checked); `source` is noted in meta."""
    cases = validation_cases(users, items, store_factory, embedder, k, seed, progress, vectors)
    params = fit_checked(cases, k)
    return params.with_(meta={**params.meta, "source": source, "seed": seed})


def describe_fit(params: FusionParams) -> str:
    """One line on a fit: what was chosen, and the validation scores it was chosen by."""
    meta = params.meta
    paired = meta.get("validation_paired")
    against = (
        f"; {paired['difference']:+.5f} (SE {paired['se']:.5f}) over {paired['against']} alone, paired"
        if paired
        else ""
    )
    check = meta.get("out_of_fold")
    unseen = (
        f"; out of fold {check['difference']:+.5f} (SE {check['se']:.5f}) over {'/'.join(check['against'])}"
        if check
        else ""
    )
    return (
        f"Fitted For you: {params.method} fusion, weights {params.weights}, popularity {params.popularity}, "
        f"evidence_half {params.evidence_half}; validation NDCG@{meta['k']} {meta['validation_ndcg']} "
        f"({meta['kept']} kept; equal RRF {meta['validation_ndcg_equal_rrf']}){against}{unseen}"
    )
