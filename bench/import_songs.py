"""Benchmark: rows per second importing the real lyrics sample replicated to N rows (no embedding).

    SPOTIFY_SAMPLE_CSV=../shared/data/spotify_lyrics_emotion_sample.csv python bench/import_songs.py

Prints, for each size, import rows/s, the parse-only rows/s of the same file (the baseline, run in
the same process), their ratio, and the peak memory of the process that did it. Each size runs in
its own process so peak memory is comparable: flat memory means the same peak at every size.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogs import replicate_csv  # noqa: E402


def measure(path):
    """Parse-only and full import of one file, in this process; returns a dict of figures."""
    from flask_migrate import upgrade

    from app import create_app
    from app.catalog.reader import SpotifyCsv
    from app.services.catalog_import import import_spotify_csv

    start = time.perf_counter()
    with SpotifyCsv(path) as source:
        parsed = sum(1 for _ in source)
    parse_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db"})
        with app.app_context():
            upgrade()
            start = time.perf_counter()
            summary = import_spotify_csv(path)
            import_s = time.perf_counter() - start
    return {
        "rows": parsed,
        "inserted": summary.inserted,
        "parse_rows_per_s": parsed / parse_s,
        "import_rows_per_s": summary.read / import_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,100000", help="comma-separated row counts")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    sample = os.environ.get("SPOTIFY_SAMPLE_CSV")
    if not sample or not Path(sample).is_file():
        sys.exit("set SPOTIFY_SAMPLE_CSV to ../shared/data/spotify_lyrics_emotion_sample.csv")
    print(f"{'rows':>8} {'import rows/s':>14} {'parse rows/s':>13} {'import/parse':>13} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"songs_{size}.csv"
            replicate_csv(sample, size, path)  # the sample repeats songs: rename every row
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)], check=True, capture_output=True, text=True
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            assert r["inserted"] == size, r
            print(
                f"{size:>8} {r['import_rows_per_s']:>14,.0f} {r['parse_rows_per_s']:>13,.0f} "
                f"{r['import_rows_per_s'] / r['parse_rows_per_s']:>13.2f} {r['peak_rss_mb']:>12.0f}"
            )


if __name__ == "__main__":
    main()
