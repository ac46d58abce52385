"""The run behind `flask evaluate`: the app's own users and songs, split by app/services/ops/evaluation.py.

The split arrives as EvalUsers and an ItemSet already read from the database; nothing here reads or
writes it, and the vectors live in throwaway stores (stores.py), never in the app's index.
"""

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..recommend.fusion import FusionParams
from .harness import run_evaluation
from .split import Embedder, EvalUser, ItemSet, Progress, item_matrix, no_progress
from .stores import temporary_stores
from .validation import describe_fit, tune_fusion


def evaluate_app_data(
    users: list[EvalUser],
    items: ItemSet,
    embedder: Embedder,
    params: FusionParams,
    *,
    k: int = 10,
    seed: int = 0,
    tune: bool = False,
    weights_out: str | Path | None = None,
    progress: Progress = no_progress,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """run_evaluation's result for the split, scoring For you with `params`, or with weights fitted first.

    With tune, For you's fusion is fitted on a validation split of the training side (each user's
    held-out songs are dropped before the fit sees them), described through log, written to
    weights_out when given, and used for the scoring.
    """
    with tempfile.TemporaryDirectory(prefix="songbird-eval-") as folder:
        factory = temporary_stores(folder)
        vectors = item_matrix(items, embedder, progress=progress)
        if tune:
            # The fit sees the training side only: each user's held-out songs are dropped first.
            training = [replace(u, held_out=frozenset()) for u in users]
            source = f"flask evaluate (validation split, {len(users)} users)"
            params = tune_fusion(
                training,
                items,
                factory,
                embedder,
                k=k,
                seed=seed,
                progress=progress,
                vectors=vectors,
                source=source,
            )
            log(describe_fit(params))
            if weights_out:
                params.save(weights_out)
        return run_evaluation(
            users, items, factory, embedder, k=k, seed=seed, progress=progress, params=params, vectors=vectors
        )
