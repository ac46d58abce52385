"""Evaluate every approach on a train/test split kept in CSV files, with the real embedding model.

    python -m app.evaluation --train TRAIN.csv --test TEST.csv --items ITEMS.csv \\
        [--users USERS.csv] [--k 10] [--approaches content collaborative ...] [--json OUT.json] \\
        [--tune [--weights-out WEIGHTS.json] | --params WEIGHTS.json]

--tune first fits For you's fusion on a validation split carved from TRAIN alone (TEST is opened
only after the weights are fixed), writes them to --weights-out, then evaluates with them.
--params evaluates with a weights file fitted before. The vectors live in a Qdrant Edge store in
a temporary folder, deleted afterwards.
"""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

from ..recommend.fusion import DEFAULT_PARAMS, FusionParams
from ..vectors import VectorStore
from .files import load_split
from .harness import APPROACHES, format_table, run_evaluation
from .split import Bar, Embedder, ItemVectors, item_matrix
from .stores import temporary_stores


def _progress(total: int, description: str) -> AbstractContextManager[Bar]:
    from tqdm import tqdm

    # cast: tqdm ships no types (pyproject); a tqdm bar is a context manager with update(n)
    return cast(
        AbstractContextManager[Bar],
        tqdm(
            total=total,
            desc=description,
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
            dynamic_ncols=True,
            leave=False,
        ),
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="python -m app.evaluation", description=__doc__.split("\n")[0])
    parser.add_argument("--train", required=True, type=Path, help="user_id,item_id,weight")
    parser.add_argument("--test", required=True, type=Path, help="user_id,item_id,weight (held out)")
    parser.add_argument("--items", required=True, type=Path, help="item_id,title,text[,tags]")
    parser.add_argument("--users", type=Path, help="user_id,tags: stated preferences for knowledge")
    parser.add_argument(
        "--user-tags",
        type=Path,
        help="user_id,item_id,tag: the tagging the users' tags were counted from, so --tune's "
        "validation split can count them again without the tags put on its held-out items",
    )
    parser.add_argument("--k", type=int, default=10, help="list length scored (default 10)")
    parser.add_argument("--approaches", nargs="+", choices=APPROACHES, default=list(APPROACHES))
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random baseline")
    parser.add_argument("--batch-size", type=int, default=64, help="texts per model call")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    tuning = parser.add_mutually_exclusive_group()
    tuning.add_argument(
        "--tune", action="store_true", help="fit For you on a validation split of TRAIN first"
    )
    tuning.add_argument("--params", type=Path, help="For you's fusion weights from an earlier --tune")
    parser.add_argument("--weights-out", type=Path, help="with --tune: write the fitted weights here")
    args = parser.parse_args(argv)
    if args.k < 1 or args.seed < 0 or args.batch_size < 1:
        parser.error("--k and --batch-size must be at least 1, --seed at least 0")
    if args.weights_out and not args.tune:
        parser.error("--weights-out goes with --tune")
    return args


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def fit_weights(
    args: argparse.Namespace,
    embedder: Embedder,
    store_factory: Callable[[], VectorStore],
    vectors: ItemVectors | None = None,
) -> tuple[FusionParams, ItemVectors]:
    """FusionParams fitted on TRAIN alone: the test file is not opened here."""
    from .validation import tune_fusion

    train = load_split(args.train, None, args.items, args.users, args.user_tags)
    vectors = vectors or item_matrix(train.items, embedder, progress=_progress)
    return tune_fusion(
        train.users,
        train.items,
        store_factory,
        embedder,
        k=args.k,
        seed=args.seed,
        progress=_progress,
        vectors=vectors,
        source=f"{args.train.name} (validation split)",
    ), vectors


def evaluate_files(
    args: argparse.Namespace, embedder: Embedder | None = None
) -> tuple[dict[str, Any], dict[str, float]]:
    """Load the files (fitting For you first with --tune), run the evaluation, return (result, timings)."""
    from ..embeddings import shared_embedder
    from .validation import describe_fit

    started = time.perf_counter()
    embedder = embedder or shared_embedder(args.device)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="songbird-eval-") as folder:
        factory = temporary_stores(folder)
        params, vectors = DEFAULT_PARAMS, None
        if args.params:
            params = FusionParams.load(args.params)
        elif args.tune:
            params, vectors = fit_weights(args, embedder, factory)
            timings["tune"] = time.perf_counter() - started
            _log(describe_fit(params))
            if args.weights_out:
                params.save(args.weights_out)
        loaded = time.perf_counter()
        split = load_split(args.train, args.test, args.items, args.users, args.user_tags)
        scored = sum(1 for u in split.users if u.held_out)
        _log(
            f"{len(split.items.infos)} items · {len(split.users)} users ({scored} with held-out items) · "
            f"{split.train_rows} train rows · {split.test_rows} test rows · {split.unknown_items} naming "
            f"unknown items · {split.test_in_train} test rows already in training"
        )
        timings["load"] = time.perf_counter() - loaded
        result = run_evaluation(
            split.users,
            split.items,
            factory,
            embedder,
            k=args.k,
            approaches=tuple(args.approaches),
            seed=args.seed,
            progress=_progress,
            timings=timings,
            params=params,
            vectors=vectors,
        )
    timings["total"] = time.perf_counter() - started
    return result, timings


def main(argv: list[str] | None = None, embedder: Embedder | None = None) -> int:
    """Run the command line (tests pass a fast embedder); returns the exit status."""
    args = parse_args(argv)
    try:
        result, timings = evaluate_files(args, embedder)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_table(result))
    _log(" · ".join(f"{phase} {seconds:.1f} s" for phase, seconds in timings.items()))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0
