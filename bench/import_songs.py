"""Benchmark: rows per second importing the real samples replicated to N rows, on SQLite and PostgreSQL.

    SPOTIFY_SAMPLE_CSV=../shared/data/spotify_lyrics_emotion_sample.csv \\
    SPOTIFY_TRACKS_CSV=../shared/data/spotify_tracks_sample.csv python bench/import_songs.py

For each sample that is set and each size, in the same run: the parse-only baseline (the reader
alone, every row parsed and hashed, nothing written), the import into SQLite, and the import into
PostgreSQL (a throwaway cluster from tests.servers, a fresh database per run; the row says why it is
skipped when PostgreSQL is not installed). Each run is a process of its own, so that its peak RSS
is its own: flat memory means the same peak at every size. The replicated files live in a temporary
folder, never in the repository. `--repeat N` keeps each run's best of N (the machine is shared).

"SQLite alone" is the floor of any import into the app's schema on this machine: the imported
songs copied into another migrated database (its indexes and the search index's triggers too) by
INSERT ... SELECT, a batch a transaction, with no Python per row (its peak RSS is the import's).

Wall time is what the import takes; on a shared machine it also says how busy the others kept the
cores, so each run also gives its CPU time a row, measured around the import: this process's and
PostgreSQL's (every process of the cluster). `--baseline PATH` runs every measurement, interleaved,
on the code of another checkout as well (e.g. `git worktree add ../base HEAD`): a before and after
from the same run. `--databases sqlite` leaves PostgreSQL out.
"""

import argparse
import csv
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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


def run(phase, path, url=None, server_pid=None):
    """One measured run in this process: parse-only, or an import into the database at `url`."""
    from app.spotify_csv.reader import ParsedRow, SpotifyCsv

    if phase == "parse":
        with _measured(server_pid) as figures, SpotifyCsv(path) as source:
            rows = parsed = 0
            for item in source:
                rows += 1
                parsed += isinstance(item, ParsedRow)
        return {**figures, "rows": rows, "written": parsed}

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
        with _measured(server_pid) as figures:
            summary = import_spotify_csv(path)
        if phase == "floor":
            batch = inspect.signature(import_spotify_csv).parameters["batch_size"].default
            figures = _sqlite_alone(url, batch, app)
    written = summary.inserted + summary.merged + summary.updated + summary.unchanged
    return {**figures, "rows": summary.read, "written": written}


def _sqlite_alone(url, batch, app):
    """SQLite's own work for the rows just imported at `url`: copied into an empty database of the
    same schema (indexes and the search index's triggers too) by INSERT ... SELECT, `batch` songs a
    transaction, with the import's settings. No Python runs per row, so no import into this schema
    can be faster on this machine than this copy."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.catalog.writer import SQLITE_IMPORT_PRAGMAS

    source = url.removeprefix("sqlite:///")
    with app.app_context():
        db.engine.dispose()
    target = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{source}.copy"})
    with target.app_context():
        upgrade()
        raw = db.engine.raw_connection()  # set up as the app's connections are (app/database.py)
        try:
            conn = raw.driver_connection
            conn.isolation_level = None  # the BEGIN and COMMIT below: a batch a transaction
            for name, value in SQLITE_IMPORT_PRAGMAS.items():
                conn.execute(f"PRAGMA {name} = {int(value)}")
            conn.execute("ATTACH ? AS source", (source,))
            ids = [song_id for (song_id,) in conn.execute("SELECT id FROM source.songs ORDER BY id")]
            with _measured(None) as figures:
                for start in range(0, len(ids), batch):
                    chunk = ids[start : start + batch]
                    conn.execute("BEGIN")
                    conn.execute(
                        "INSERT INTO main.songs SELECT * FROM source.songs WHERE id BETWEEN ? AND ?",
                        (chunk[0], chunk[-1]),
                    )
                    conn.execute("COMMIT")
            (copied,) = conn.execute("SELECT count(*) FROM main.songs").fetchone()
            if copied != len(ids):
                sys.exit(f"SQLite alone copied {copied} songs of {len(ids)}")
        finally:
            raw.close()
            db.engine.dispose()
    return figures


class _measured:
    """Wall and CPU seconds of the block: this process and the database server."""

    def __init__(self, server_pid):
        self.server_pid = server_pid
        self.figures = {}

    def __enter__(self):
        self.start = (time.perf_counter(), time.process_time(), _server_cpu(self.server_pid))
        return self.figures

    def __exit__(self, *exc_info):
        end = (time.perf_counter(), time.process_time(), _server_cpu(self.server_pid))
        seconds, cpu, server_cpu = (b - a for a, b in zip(self.start, end))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.figures.update(seconds=seconds, cpu=cpu, server_cpu=server_cpu, peak_mb=peak_mb)


def _server_cpu(postmaster):
    """CPU seconds of a PostgreSQL cluster so far: the postmaster and every process it started."""
    if postmaster is None:
        return 0.0
    ticks = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if int(pid) == postmaster or int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def child(root, phase, path, url=None, server_pid=None):
    """Run one phase in a fresh interpreter, on the code of the checkout at `root`; its figures."""
    command = [sys.executable, __file__, "--child", str(root), phase, str(path), url or ""]
    command.append(str(server_pid or ""))
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=root).stdout
    return json.loads(out.strip().splitlines()[-1])


def best(repeat, runs):
    """The fastest of `repeat` rounds of `runs` (name -> a function giving one run's figures),
    the names taking turns within each round, so that a busy spell slows each of them alike."""
    kept = {}
    for _ in range(repeat):
        for name, one in runs.items():
            figures = one()
            if name not in kept or figures["seconds"] < kept[name]["seconds"]:
                kept[name] = figures
    return kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement, the best kept")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured alongside")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, phase, path, url, server_pid = args.child
        sys.path.insert(0, root)
        print(json.dumps(run(phase, path, url or None, int(server_pid) if server_pid else None)))
        return
    samples = {name: os.environ.get(var) for name, var in SAMPLES.items()}
    samples = {name: path for name, path in samples.items() if path and Path(path).is_file()}
    if not samples:
        sys.exit("set SPOTIFY_SAMPLE_CSV (and SPOTIFY_TRACKS_CSV) to the samples under ../shared/data")
    codes = {"this": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    sys.path.insert(0, str(ROOT))
    from tests.servers import missing_postgres, start_postgres

    why_no_pg = missing_postgres() if "postgresql" in args.databases else "not asked for (--databases)"
    postgres = None if why_no_pg else start_postgres()
    server_pid = None if postgres is None else _postmaster(postgres)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(
        f"{'sample':7} {'rows':>7} {'code':8} {'run':12} {'rows/s':>7} {'x parse':>7} "
        f"{'CPU us/row: this':>16} {'server':>6} {'peak RSS MB':>11}"
    )
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
                    runs = {
                        (code, "parse only"): _runner(root, "parse", path) for code, root in codes.items()
                    }
                    for database, url, pid in (
                        ("SQLite", sqlite_url, None),
                        ("PostgreSQL", postgres_url, server_pid),
                    ):
                        if database == "PostgreSQL" and postgres is None:
                            continue
                        if database == "SQLite" and "sqlite" not in args.databases:
                            continue
                        for code, root in codes.items():
                            runs[code, database] = _runner(root, "import", path, url, pid)
                        if database == "SQLite":
                            runs["this", "SQLite alone"] = _runner(ROOT, "floor", path, url)
                    results = best(args.repeat, runs)
                    for (code, name), figures in results.items():
                        parse = results[code, "parse only"]
                        assert figures["written"] == parse["written"], (code, name, figures, parse)
                        _print(sample, size, code, name, figures, parse)
                    if postgres is None:
                        print(f"{sample:7} {size:>7} PostgreSQL skipped: {why_no_pg}")
                    path.unlink()
    finally:
        if postgres is not None:
            postgres.stop()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _runner(root, phase, path, url_for=None, server_pid=None):
    return lambda: child(root, phase, path, url_for() if url_for else None, server_pid)


def _postmaster(postgres):
    return int((postgres.folder / "data" / "postmaster.pid").read_text().split()[0])


def _print(sample, size, code, name, figures, parse):
    rate = figures["rows"] / figures["seconds"]
    ratio = rate / (parse["rows"] / parse["seconds"])
    per_row = [figures[k] / figures["rows"] * 1e6 for k in ("cpu", "server_cpu")]
    print(
        f"{sample:7} {size:>7} {code:8} {name:12} {rate:>7,.0f} {ratio:>7.2f} "
        f"{per_row[0]:>16.1f} {per_row[1]:>6.1f} {figures['peak_mb']:>11.0f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
