"""Benchmark: song search at catalog scale, PostgreSQL with and without its trigram indexes, SQLite
with and without its FTS5 trigram index.

    SPOTIFY_SAMPLE_CSV=../shared/data/spotify_lyrics_emotion_sample.csv python bench/search.py --songs 100000

Imports the sample replicated to --songs rows and times a browse page with a search
(services/catalog/browse.page_of_songs: the page and its match count) for a few kinds of text:

- PostgreSQL, in a throwaway cluster (tests/servers.py): with the trigram indexes (migration
  f2b7c41e9a05), then without them, same run. Wall time: the work is the server's.
- SQLite: with the FTS5 index (migration 3e5a1c7d9b42; its 'rebuild' on the imported rows is timed
  too), then with the index dropped, which makes search scan as before it existed, same run. CPU
  time of this process (SQLite runs in it), which a busy machine disturbs less than wall time.

Each search must give the same page and count with and without its index; the run stops if not.
`--databases sqlite` skips PostgreSQL.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogs import replicate_csv

# (label, text): a word in many titles, an artist's name, a rare fragment, nothing at all, a word in
# over half the songs, text outside ASCII, and two letters (too short for a trigram: both scan).
QUERIES = (
    ("common word", "love"),
    ("artist", "yankovic"),
    ("rare", "#9999"),
    ("no match", "zqxj"),
    ("very common", "the"),
    ("accented", "misérables"),
    ("two letters", "zq"),
)
REPEAT = 15


def _app(url):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "EMBEDDING_WARMUP": "off",
            "QDRANT_LOCATION": ":memory:",
            # Off: each timed page counts its matches, as a new search does (stamp.py keeps counts).
            "RECOMMENDATION_CACHE_TTL": 0,
        }
    )


def _timings(app, clock=time.perf_counter):
    """{label: (median ms by `clock`, match count, the page's ids)}."""
    from app.services.catalog.browse import page_of_songs

    result = {}
    with app.app_context():
        for label, text in QUERIES:
            page_of_songs(1, 24, q=text)  # warm the cache of pages and plans
            times = []
            for _ in range(REPEAT):
                start = clock()
                page = page_of_songs(1, 24, q=text)
                times.append((clock() - start) * 1000)
            result[label] = (statistics.median(times), page.total, [song.id for song in page.items])
    return result


def _same_results(with_index, without):
    for label, _ in QUERIES:
        if with_index[label][1:] != without[label][1:]:
            sys.exit(f"{label}: the search found other songs without its index")


def _load(url, csv_path):
    from flask_migrate import upgrade

    from app.extensions import db
    from app.services.catalog.imports import import_spotify_csv

    app = _app(url)
    with app.app_context():
        upgrade()
        import_spotify_csv(csv_path)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE songs")
    return app


@contextmanager
def postgres_catalog(csv_path):
    """An app on a database of a throwaway PostgreSQL cluster (tests/servers.py), migrated and loaded
    with the CSV; the cluster stops afterwards."""
    from app.extensions import db
    from tests.servers import start_postgres

    pg = start_postgres()
    try:
        with (
            _app(pg.url).app_context(),
            db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
        ):
            conn.exec_driver_sql("CREATE DATABASE bench")
        yield _load(pg.database_url("bench"), csv_path)
    finally:
        pg.stop()


@contextmanager
def scale_run(description):
    """A catalog-scale bench's arguments (--songs, --databases) and the sample replicated to --songs
    rows in a temporary folder: (args, folder, csv_path)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--songs", type=int, default=100_000)
    parser.add_argument("--databases", default="postgresql,sqlite", help="comma-separated")
    args = parser.parse_args()
    sample = os.environ.get("SPOTIFY_SAMPLE_CSV")
    if not sample or not Path(sample).is_file():
        sys.exit("set SPOTIFY_SAMPLE_CSV to ../shared/data/spotify_lyrics_emotion_sample.csv")
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "songs.csv"
        replicate_csv(sample, args.songs, csv_path)
        yield args, Path(folder), csv_path


def _postgres(csv_path):
    from app.extensions import db

    with postgres_catalog(csv_path) as app:
        indexed = _timings(app)
        with app.app_context(), db.engine.begin() as conn:
            for column in ("title", "artist", "album"):
                conn.exec_driver_sql(f"DROP INDEX ix_songs_{column}_trgm")
        scanned = _timings(app)
    _same_results(indexed, scanned)
    return indexed, scanned


def _sqlite(url, csv_path):
    from app.extensions import db

    app = _load(url, csv_path)
    with app.app_context(), db.engine.begin() as conn:
        start = time.process_time()
        conn.exec_driver_sql("INSERT INTO songs_search (songs_search) VALUES ('rebuild')")
        rebuild = time.process_time() - start
    indexed = _timings(app, time.process_time)
    with app.app_context(), db.engine.begin() as conn:
        triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%songs_search%'"
        for (trigger,) in conn.exec_driver_sql(triggers).all():
            conn.exec_driver_sql(f"DROP TRIGGER {trigger}")
        conn.exec_driver_sql("DROP TABLE songs_search")
    scanned = _timings(app, time.process_time)
    _same_results(indexed, scanned)
    return indexed, scanned, rebuild


def _table(index, indexed, scanned):
    """Each query's matches and times with the index and by scan, and the ratio."""
    print(f"{'text':14}{'matches':>9}{index:>10}{'scan':>10}{'scan/' + index:>14}")
    for label, _ in QUERIES:
        (fast, matches, _), (slow, _, _) = indexed[label], scanned[label]
        print(f"{label:14}{matches:>9,}{fast:>10.2f}{slow:>10.1f}{slow / max(fast, 1e-3):>13.1f}x")


def main():
    with scale_run(__doc__.splitlines()[0]) as (args, folder, csv_path):
        if "postgresql" in args.databases:
            indexed, scanned = _postgres(csv_path)
            print(
                f"PostgreSQL, {args.songs:,} songs: a browse page of 24 and its count, median of {REPEAT} (ms)"
            )
            _table("trigram", indexed, scanned)
        if "sqlite" in args.databases:
            indexed, scanned, rebuild = _sqlite(f"sqlite:///{folder / 'bench.db'}", csv_path)
            print(f"SQLite, {args.songs:,} songs: the same, CPU ms median of {REPEAT}")
            print(
                f"FTS5 'rebuild' of the index: {rebuild:.1f} s CPU ({rebuild / args.songs * 1e6:.0f} us a song)"
            )
            _table("FTS5", indexed, scanned)


if __name__ == "__main__":
    main()
