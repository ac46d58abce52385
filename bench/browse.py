"""Benchmark: browse pages at catalog scale, with the indexes in browse's order and with the ones before.

    SPOTIFY_SAMPLE_CSV=../shared/data/spotify_lyrics_emotion_sample.csv python bench/browse.py --songs 100000

Imports the sample replicated to --songs rows and times browse pages without a search
(services/catalog/browse.page_of_songs: 24 songs and the match count) in the default order,
popularity then id: pages 1, 50 and 1,000 of the whole catalog, the first page of the most common
genre and of the most common mood, and page 50 of that mood, counting the matches every time; then
the same with the count kept (services/catalog/stamp.py: the next page of one filter is served it
from the app's cache). Then migration b81d4e2c7a16 is undone (the single-column indexes on
popularity, genre and emotion it replaced) and the pages are timed again, counting, in the same
run; every page must hold the same songs each way, or the run stops.

SQLite: CPU time of this process, which runs SQLite. PostgreSQL (a throwaway cluster,
tests/servers.py): wall time, the work being the server's. `--databases sqlite` skips PostgreSQL.
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search import _load, postgres_catalog, scale_run

BEFORE = "3e5a1c7d9b42"  # the revision before the indexes in browse's order
REPEAT = 15


def _pages():
    """(label, page, filters) of the timed pages, with the catalog's most common genre and mood."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Song

    def most_common(column):
        query = sa.select(column).where(column.is_not(None)).group_by(column).order_by(sa.func.count().desc())
        return db.session.scalars(query.limit(1)).one()

    genre, mood = most_common(Song.genre), most_common(Song.emotion)
    return [
        ("page 1", 1, {}),
        ("page 50", 50, {}),
        ("page 1,000", 1000, {}),
        (f"genre {genre!r}", 1, {"genre": genre}),
        (f"mood {mood!r}", 1, {"emotion": mood}),
        (f"mood {mood!r}, page 50", 50, {"emotion": mood}),
    ]


def _timings(app, clock, kept=False):
    """{label: (median ms by `clock`, match count, the page's ids)}; `kept`: the match count is kept
    (stamp.py) and served from the app's cache after the warm-up call, else counted every time."""
    from app.services.catalog.browse import page_of_songs

    app.config["RECOMMENDATION_CACHE_TTL"] = 300 if kept else 0
    result = {}
    with app.app_context():
        for label, page, filters in _pages():
            page_of_songs(page, 24, **filters)  # warm the cache of pages and plans
            times = []
            for _ in range(REPEAT):
                start = clock()
                found = page_of_songs(page, 24, **filters)
                times.append((clock() - start) * 1000)
            result[label] = (statistics.median(times), found.total, [song.id for song in found.items])
    return result


def _settle(app):
    """On PostgreSQL, VACUUM ANALYZE songs, as autovacuum does after an import: without the visibility
    map it sets, a count cannot be answered from an index alone (a scan of the table: 53 ms here)."""
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE songs")


def _both(app, clock):
    """Timings with the order indexes (as migrated), then with the indexes before them."""
    from flask_migrate import downgrade

    _settle(app)
    ordered, kept = _timings(app, clock), _timings(app, clock, kept=True)
    with app.app_context():
        downgrade(revision=BEFORE)
    _settle(app)
    before = _timings(app, clock)
    for label, (_, *found) in ordered.items():
        if before[label][1:] != tuple(found) or kept[label][1:] != tuple(found):
            sys.exit(f"{label}: another page without the order indexes, or with the count kept")
    return ordered, kept, before


def _postgres(csv_path):
    with postgres_catalog(csv_path) as app:
        return _both(app, time.perf_counter)


def _table(ordered, kept, before):
    """Each page's matches and times: order indexes, the same with the count kept, the indexes before."""
    print(f"{'page':28}{'matches':>9}{'ordered':>10}{'kept':>8}{'before':>10}{'before/ordered':>16}")
    for label, (fast, matches, _) in ordered.items():
        slow = before[label][0]
        print(
            f"{label:28}{matches:>9,}{fast:>10.2f}{kept[label][0]:>8.2f}{slow:>10.2f}{slow / max(fast, 1e-3):>15.1f}x"
        )


def main():
    with scale_run(__doc__.splitlines()[0]) as (args, folder, csv_path):
        if "postgresql" in args.databases:
            results = _postgres(csv_path)
            print(
                f"PostgreSQL, {args.songs:,} songs: a browse page of 24 and its count, median of {REPEAT} (ms)"
            )
            _table(*results)
        if "sqlite" in args.databases:
            app = _load(f"sqlite:///{folder / 'bench.db'}", csv_path)
            print(f"SQLite, {args.songs:,} songs: the same, CPU ms, median of {REPEAT}")
            _table(*_both(app, time.process_time))


if __name__ == "__main__":
    main()
