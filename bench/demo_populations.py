"""For you against the best single list on several demo populations, each fitted on its own validation.

    python bench/demo_populations.py --database /tmp/demo/db.sqlite --seeds 0-9 --out /tmp/populations

One demo population is one run of the activity generator (`app/spotify_csv/synthetic.py`): the same
users, songs and stated preferences, their activity drawn again under another seed. On the 500-user
demo one split's gap between For you and knowledge is a tenth of its own standard error, so one
population cannot say which is better; several, each with its own validation fit and test split,
can. For each seed the script copies the SQLite database (`flask seed all --users 500` made it),
replaces the copy's activity with the seed's (`flask seed activities --seed N`), and runs `flask
evaluate --tune` there. The source database is only read.

It prints, per population, For you, the best single list on test, their difference paired per user
with its standard error (`paired` in the evaluation's JSON), and the fit's own gain over that list
on validation; then the mean difference over the populations with its standard error. The results
are the evaluation's JSON files under --out, one per seed. Nothing is tuned here: each fit sees its
own training side only, as `flask evaluate --tune` always does.
"""

import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import fmean, stdev

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The lists For you fuses (the registry names them); the bar is the best of these on test.
from app.recommend.registry import COMPONENTS


def seeds_from(text: str) -> list[int]:
    """'0-4' or '0,3,7' as a list of seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += range(int(low), int(high or low) + 1)
    return seeds


def flask(database: Path, vectors: Path, *args: str) -> None:
    """One flask command on the copy, with the app's own defaults otherwise."""
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "DATABASE_URL": f"sqlite:///{database}",
        "VECTORS_PATH": str(vectors),
        "SECRET_KEY": "demo-populations",
    }
    env.pop("QDRANT_URL", None)
    subprocess.run([sys.executable, "-m", "flask", *args], env=env, check=True, stdout=subprocess.DEVNULL)


def population(source: Path, seed: int, folder: Path, out: Path) -> dict:
    """The evaluation's JSON for the demo with activity drawn under `seed`."""
    copy = folder / f"population-{seed}.sqlite"
    shutil.copyfile(source, copy)
    with sqlite3.connect(copy) as connection:
        # Activity only: the users, songs, their vectors and stated preferences stay as seeded.
        connection.execute("DELETE FROM activity_events")
        connection.execute("DELETE FROM user_songs")
    vectors = folder / f"vectors-{seed}"
    flask(copy, vectors, "seed", "activities", "--seed", str(seed))
    result = out / f"population-{seed}.json"
    weights = out / f"weights-{seed}.json"
    flask(copy, vectors, "evaluate", "--tune", "--json", str(result), "--weights-out", str(weights))
    copy.unlink()
    shutil.rmtree(vectors, ignore_errors=True)
    return json.loads(result.read_text(encoding="utf-8"))


def row(seed: int, report: dict, fit: dict) -> tuple[float, str]:
    """(For you minus the best single list on test, the printed line) for one population."""
    scores = report["approaches"]
    best = max(COMPONENTS, key=lambda name: (scores[name]["ndcg"], name))
    gap = report["paired"]["against"][best]
    valid = fit["meta"].get("validation_paired", {})
    line = (
        f"{seed:>4}  {scores['for_you']['ndcg']:.4f}  {best:<13} {scores[best]['ndcg']:.4f}  "
        f"{gap['difference']:+.5f} ({gap['se']:.5f})  "
        f"{valid.get('difference', math.nan):+.5f} ({valid.get('se', math.nan):.5f}) over {valid.get('against')}"
    )
    return gap["difference"], line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="A seeded demo SQLite database.")
    parser.add_argument("--seeds", default="0-4", help="Activity seeds: 0-4, or 0,3,7.")
    parser.add_argument("--out", type=Path, required=True, help="Folder for each population's JSON.")
    args = parser.parse_args(argv)
    if not args.database.is_file():
        parser.error(f"no database at {args.database}")
    args.out.mkdir(parents=True, exist_ok=True)
    print("seed  for_you  best single list      for_you - best, test (SE)  fit's gain on validation (SE)")
    gaps = []
    with tempfile.TemporaryDirectory(prefix="songbird-populations-") as folder:
        for seed in seeds_from(args.seeds):
            report = population(args.database, seed, Path(folder), args.out)
            fit = json.loads((args.out / f"weights-{seed}.json").read_text(encoding="utf-8"))
            gap, line = row(seed, report, fit)
            gaps.append(gap)
            print(line, flush=True)
    if len(gaps) > 1:
        print(
            f"mean of {len(gaps)}: for_you - best single list {fmean(gaps):+.5f} "
            f"(SE {stdev(gaps) / math.sqrt(len(gaps)):.5f}); for_you ahead or level in "
            f"{sum(g >= 0 for g in gaps)} of {len(gaps)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
