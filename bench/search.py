"""Benchmark: song search at catalog scale on PostgreSQL, with and without the trigram indexes.

    SPOTIFY_SAMPLE_CSV=../shared/data/spotify_lyrics_emotion_sample.csv python bench/search.py --songs 100000

Imports the sample replicated to --songs rows into a throwaway PostgreSQL cluster (tests/servers.py),
times a browse page with a search (services/catalog/browse.page_of_songs: the page and its match count)
for a few kinds of text, then drops the trigram indexes (migration f2b7c41e9a05) and times the
same searches again in the same run. SQLite, which has no index for LIKE '%text%', is timed on the
same rows for reference.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogs import replicate_csv

# (label, text): a word in many titles, an artist's name, a rare fragment, nothing at all
QUERIES = (("common word", "love"), ("artist", "yankovic"), ("rare", "#9999"), ("no match", "zqxj"))
REPEAT = 15


def _app(url):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "EMBEDDING_WARMUP": "off",
            "QDRANT_LOCATION": ":memory:",
        }
    )


def _timings(app):
    from app.services.catalog.browse import page_of_songs

    result = {}
    with app.app_context():
        for label, text in QUERIES:
            page_of_songs(1, 24, q=text)  # warm the cache of pages and plans
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                page = page_of_songs(1, 24, q=text)
                times.append((time.perf_counter() - start) * 1000)
            result[label] = (statistics.median(times), page.total)
    return result


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=100_000)
    args = parser.parse_args()
    sample = os.environ.get("SPOTIFY_SAMPLE_CSV")
    if not sample or not Path(sample).is_file():
        sys.exit("set SPOTIFY_SAMPLE_CSV to ../shared/data/spotify_lyrics_emotion_sample.csv")
    from app.extensions import db
    from tests.servers import start_postgres

    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "songs.csv"
        replicate_csv(sample, args.songs, csv_path)
        pg = start_postgres()
        try:
            with (
                _app(pg.url).app_context(),
                db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
            ):
                conn.exec_driver_sql("CREATE DATABASE bench")
            app = _load(pg.database_url("bench"), csv_path)
            indexed = _timings(app)
            with app.app_context(), db.engine.begin() as conn:
                for column in ("title", "artist", "album"):
                    conn.exec_driver_sql(f"DROP INDEX ix_songs_{column}_trgm")
            scanned = _timings(app)
        finally:
            pg.stop()
        sqlite = _timings(_load(f"sqlite:///{Path(folder) / 'bench.db'}", csv_path))
    print(f"search, {args.songs:,} songs: a browse page of 24 and its count, median of {REPEAT} (ms)")
    print(f"{'text':14}{'matches':>9}{'PG trigram':>12}{'PG scan':>10}{'scan/trigram':>14}{'SQLite':>9}")
    for label, _ in QUERIES:
        (fast, matches), (slow, _), (lite, _) = indexed[label], scanned[label], sqlite[label]
        print(f"{label:14}{matches:>9,}{fast:>12.1f}{slow:>10.1f}{slow / fast:>13.1f}x{lite:>9.1f}")


if __name__ == "__main__":
    main()
