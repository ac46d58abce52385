"""Benchmark: rows per second importing the real samples replicated to N rows, on SQLite and PostgreSQL.

    SPOTIFY_SAMPLE_CSV=../shared/data/spotify_lyrics_emotion_sample.csv \\
    SPOTIFY_TRACKS_CSV=../shared/data/spotify_tracks_sample.csv python bench/import_songs.py

For each sample that is set and each size, in the same run: the parse-only baseline (the reader
alone, every row parsed and hashed, nothing written), the import into SQLite, and the import into
PostgreSQL (a throwaway cluster from tests.servers, a fresh database per run; the row says why it is
skipped when PostgreSQL is not installed). Each run is a process of its own, so that its peak RSS
is its own: flat memory means the same peak at every size. The replicated files live in a temporary
folder, never in the repository. `--repeat N` keeps each run's best of N (the machine is shared).
"""

import argparse
import csv
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

SAMPLES = {"lyrics": "SPOTIFY_SAMPLE_CSV", "tracks": "SPOTIFY_TRACKS_CSV"}


def replicate(source, rows, out_path):
    """`rows` data rows cycling through `source`, each copy given its own identity (a distinct key)."""
    with open(source, newline="", encoding="utf-8") as src:
        reader = csv.reader(src)
        header = next(reader)
        body = list(reader)
    # The lyrics schema is keyed by artist + title + album, the tracks schema by its track id.
    column = header.index("song") if "song" in header else header.index("track_id")
    with open(out_path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(rows):
            row = list(body[n % len(body)])
            if len(row) > column:
                row[column] = f"{row[column]} #{n}" if row[column] else row[column]
            writer.writerow(row)


def run(phase, path, url=None):
    """One measured run in this process: parse-only, or an import into the database at `url`."""
    from app.spotify_csv.reader import ParsedRow, SpotifyCsv

    if phase == "parse":
        start = time.perf_counter()
        with SpotifyCsv(path) as source:
            rows = parsed = 0
            for item in source:
                rows += 1
                parsed += isinstance(item, ParsedRow)
        seconds = time.perf_counter() - start
        return {"rows": rows, "written": parsed, "seconds": seconds, "peak_mb": _peak_mb()}

    from flask_migrate import upgrade

    from app import create_app
    from app.services.catalog.imports import import_spotify_csv

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "EMBEDDING_WARMUP": "off",
            "QDRANT_LOCATION": ":memory:",
        }
    )
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        summary = import_spotify_csv(path)
        seconds = time.perf_counter() - start
    written = summary.inserted + summary.merged + summary.updated + summary.unchanged
    return {"rows": summary.read, "written": written, "seconds": seconds, "peak_mb": _peak_mb()}


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(phase, path, url=None):
    """Run one phase in a fresh interpreter and return its figures."""
    command = [sys.executable, __file__, "--child", phase, str(path)] + ([url] if url else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def best(repeat, phase, path, url_for=None):
    """The fastest of `repeat` runs (a fresh database for each)."""
    runs = [child(phase, path, url_for() if url_for else None) for _ in range(repeat)]
    return min(runs, key=lambda r: r["seconds"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement, the best kept")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        phase, path, *url = args.child
        print(json.dumps(run(phase, path, *url)))
        return
    samples = {name: os.environ.get(var) for name, var in SAMPLES.items()}
    samples = {name: path for name, path in samples.items() if path and Path(path).is_file()}
    if not samples:
        sys.exit("set SPOTIFY_SAMPLE_CSV (and SPOTIFY_TRACKS_CSV) to the samples under ../shared/data")
    from tests.servers import missing_postgres, start_postgres

    why_no_pg = missing_postgres()
    postgres = None if why_no_pg else start_postgres()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'sample':8} {'rows':>8} {'run':12} {'rows/s':>9} {'x parse':>8} {'peak RSS MB':>12}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            databases = iter(range(10**6))

            def sqlite_url():
                return f"sqlite:///{tmp}/bench_{next(databases)}.db"

            def postgres_url():
                import psycopg

                name = f"bench_{next(databases)}"
                with psycopg.connect(postgres.url.replace("+psycopg", ""), autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {name}")
                return postgres.database_url(name)

            for sample, source in samples.items():
                for size in (int(s) for s in args.sizes.split(",")):
                    path = Path(tmp) / f"{sample}_{size}.csv"
                    replicate(source, size, path)
                    parse = best(args.repeat, "parse", path)
                    _print(sample, size, "parse only", parse, parse)
                    sqlite = best(args.repeat, "import", path, sqlite_url)
                    assert sqlite["written"] == parse["written"], (sqlite, parse)
                    _print(sample, size, "SQLite", sqlite, parse)
                    if postgres is None:
                        print(f"{sample:8} {size:>8} {'PostgreSQL':12} skipped: {why_no_pg}")
                        continue
                    pg = best(args.repeat, "import", path, postgres_url)
                    assert pg["written"] == parse["written"], (pg, parse)
                    _print(sample, size, "PostgreSQL", pg, parse)
                    path.unlink()
    finally:
        if postgres is not None:
            postgres.stop()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _print(sample, size, name, figures, parse):
    rate = figures["rows"] / figures["seconds"]
    ratio = rate / (parse["rows"] / parse["seconds"])
    print(
        f"{sample:8} {size:>8} {name:12} {rate:>9,.0f} {ratio:>8.2f} {figures['peak_mb']:>12.0f}", flush=True
    )


if __name__ == "__main__":
    main()
