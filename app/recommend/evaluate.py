"""Evaluate every approach on a train/test split kept in CSV files, with the real embedding model.

    python -m app.recommend.evaluate --train TRAIN.csv --test TEST.csv --items ITEMS.csv \\
        [--users USERS.csv] [--k 10] [--approaches content collaborative ...] [--json OUT.json]

The vectors live in a Qdrant Edge store in a temporary folder, deleted afterwards.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from .eval_files import load_split
from .evaluation import APPROACHES, format_table, run_evaluation


def _progress(total, description):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, file=sys.stderr, disable=not sys.stderr.isatty(),
                dynamic_ncols=True, leave=False)


def parse_args(argv=None):
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="python -m app.recommend.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--train", required=True, type=Path, help="user_id,item_id,weight")
    parser.add_argument("--test", required=True, type=Path, help="user_id,item_id,weight (held out)")
    parser.add_argument("--items", required=True, type=Path, help="item_id,title,text[,tags]")
    parser.add_argument("--users", type=Path, help="user_id,tags: stated preferences for knowledge")
    parser.add_argument("--k", type=int, default=10, help="list length scored (default 10)")
    parser.add_argument("--approaches", nargs="+", choices=APPROACHES, default=list(APPROACHES))
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random baseline")
    parser.add_argument("--batch-size", type=int, default=64, help="texts per model call")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    args = parser.parse_args(argv)
    if args.k < 1 or args.seed < 0 or args.batch_size < 1:
        parser.error("--k and --batch-size must be at least 1, --seed at least 0")
    return args


def _log(message):
    print(message, file=sys.stderr)


def evaluate_files(args, embedder=None):
    """Load the files, run the evaluation, return (result, timings)."""
    from ..embeddings import shared_embedder
    from ..vectors import create_vector_store

    started = time.perf_counter()
    split = load_split(args.train, args.test, args.items, args.users)
    scored = sum(1 for u in split.users if u.held_out)
    _log(f"{len(split.items.infos)} items · {len(split.users)} users ({scored} with held-out items) · "
         f"{split.train_rows} train rows · {split.test_rows} test rows · {split.unknown_items} naming unknown items "
         f"· {split.test_in_train} test rows already in training")
    timings = {"load": time.perf_counter() - started}
    embedder = embedder or shared_embedder(args.device)
    with tempfile.TemporaryDirectory(prefix="songbird-eval-") as folder:
        factory = lambda: create_vector_store(vectors_path=str(Path(folder) / "vectors"))  # noqa: E731
        result = run_evaluation(split.users, split.items, factory, embedder, k=args.k,
                                approaches=tuple(args.approaches), seed=args.seed, progress=_progress,
                                timings=timings)
    timings["total"] = time.perf_counter() - started
    return result, timings


def main(argv=None, embedder=None):
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


if __name__ == "__main__":
    sys.exit(main())
