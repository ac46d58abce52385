"""Benchmark: server-side latency of each recommendation approach, cache miss and cache hit.

    python bench/recommend.py [--sizes 2000,100000] [--users 50]

For each catalog size: the demo catalog (2,000 songs, embedded with the real model), or the demo
catalog replicated to N songs whose vectors are the originals' plus noise (the model would need
half an hour for 100,000). 50 seeded users with 30 songs of activity each, Qdrant Edge, SQLite.
Each approach is asked for 10 songs for every user, after one warm-up round. A miss is timed with
the recommendation cache emptied first, and the time spent inside vector store calls is measured
separately from the rest (SQL, scoring, JSON); a hit is the same request again. The ratio is a
miss over a hit, both measured in this process.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogs import replicate_csv

DEMO = ROOT / "data" / "demo_songs.csv"
TARGET_P95_MS = 30  # a cache miss
TARGET_HIT_P95_MS = 3


class TimedStore:
    """A vector store proxy that adds up the seconds spent in its methods."""

    def __init__(self, store):
        self._store = store
        self.seconds = 0.0

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def build(tmp, size, base_vectors, users):
    """An app on SQLite + Edge holding `size` songs and `users` seeded users with vectors."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.embeddings import text_hash
    from app.extensions import db, embedder, vector_store
    from app.models import Song, SongVector, to_blob
    from app.services.catalog.imports import import_spotify_csv
    from app.services.indexing.song_vectors import (
        ensure_collections,
        iter_song_pages,
        reindex_songs,
        song_embedding_text,
    )
    from app.services.indexing.user_vectors import refresh_all_user_vectors
    from app.services.ops import seeding
    from app.vectors.schema import SONGS

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/r{size}.db",
            "QDRANT_LOCATION": None,
            "VECTORS_PATH": f"{tmp}/vectors{size}",
        }
    )
    with app.app_context():
        upgrade()
        csv_path = Path(tmp) / f"songs{size}.csv"
        originals = replicate_csv(DEMO, size, csv_path, rename_first_pass=False)
        import_spotify_csv(csv_path)
        if base_vectors is None:
            texts = [song_embedding_text(s) for page in iter_song_pages() for s in page]
            base_vectors = embedder().encode(texts, batch_size=64)
        rng = np.random.default_rng(7)
        ensure_collections(create=True)
        for page in iter_song_pages():
            vectors = []
            for song in page:
                v = base_vectors[(song.id - 1) % originals]
                if song.id > originals:  # a copy: the original's direction, nudged
                    v = v + rng.normal(0, 0.03, v.shape)
                vectors.append(v / np.linalg.norm(v))
            db.session.execute(
                sa.insert(SongVector),
                [
                    {
                        "song_id": s.id,
                        "text_hash": text_hash(song_embedding_text(s)),
                        "model": "bench",
                        "vector": to_blob(v),
                        "indexed": False,
                    }
                    for s, v in zip(page, vectors)
                ],
            )
            db.session.commit()
            reindex_songs(page)
        vector_store().optimize(SONGS)
        seeding.seed_users(users, seed=1)
        seeding.seed_activities(per_user=30, seed=1)
        refresh_all_user_vectors()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Song)) == size
    return app, base_vectors


def measure(app, users, rounds=1):
    """{approach: (miss ms, vector ms of the miss, hit ms)} for one call per user per round."""
    import sqlalchemy as sa

    from app.extensions import cache, db, vector_store
    from app.models import User
    from app.services.recommendations.item_model import holder
    from app.services.recommendations.lists import APPROACHES, recommend_for

    with app.app_context():
        timed = TimedStore(vector_store())
        vector_store.override(app, timed)
        holder(app).refresh(wait=True)  # as a server has it: fitted in the background at start
        ids = db.session.scalars(sa.select(User.id)).all()
        sample = random.Random(3).sample(ids, min(users, len(ids)))
        results, empty = {}, {}
        for approach in APPROACHES:
            # Warm-up, one request per user: first-query paths, and the data a running server keeps
            # per process (neighbours' positive songs, the fan ranking). A miss below is a miss of
            # the recommendation cache in a warm process, as a server has it.
            for user_id in sample:
                recommend_for(db.session.get(User, user_id), approach, k=10)
            misses, vector, hits = [], [], []
            for _ in range(rounds):
                for user_id in sample:
                    db.session.expire_all()
                    user = db.session.get(User, user_id)
                    cache.clear()
                    timed.seconds = 0.0
                    start = time.perf_counter()
                    result = recommend_for(user, approach, k=10)
                    misses.append((time.perf_counter() - start) * 1000)
                    vector.append(timed.seconds * 1000)
                    # An item-based list can be empty: at 100,000 songs few of a user's songs have
                    # a second fan, and the model covers only songs that do.
                    assert not result["degraded"] and (result["items"] or approach == "item_based"), approach
                    empty[approach] = empty.get(approach, 0) + (not result["items"])
                    db.session.expire_all()
                    user = db.session.get(User, user_id)  # as the next request loads it
                    start = time.perf_counter()
                    again = recommend_for(user, approach, k=10)
                    hits.append((time.perf_counter() - start) * 1000)
                    assert again == result
            results[approach] = (np.array(misses), np.array(vector), np.array(hits))
        vector_store.override(app, timed._store)
        timed._store.close()
    if any(empty.values()):
        print("empty lists: " + ", ".join(f"{name} {count}" for name, count in empty.items() if count))
    return results


def report(size, results):
    print(f"\n== {size:,} songs, {len(next(iter(results.values()))[0])} requests per approach (ms)")
    print(
        f"{'approach':14}{'miss p50':>10}{'miss p95':>10}{'vector p50':>12}{'rest p50':>10}"
        f"{'hit p50':>9}{'hit p95':>9}{'miss/hit':>10}"
    )
    worst_miss = worst_hit = 0.0
    for approach, (miss, vector, hit) in results.items():
        rest = miss - vector
        worst_miss = max(worst_miss, np.percentile(miss, 95))
        worst_hit = max(worst_hit, np.percentile(hit, 95))
        print(
            f"{approach:14}{np.percentile(miss, 50):>10.1f}{np.percentile(miss, 95):>10.1f}"
            f"{np.percentile(vector, 50):>12.1f}{np.percentile(rest, 50):>10.1f}{np.percentile(hit, 50):>9.2f}"
            f"{np.percentile(hit, 95):>9.2f}{np.percentile(miss, 50) / np.percentile(hit, 50):>9.0f}x"
        )
    return worst_miss, worst_hit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,100000")
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            start = time.perf_counter()
            app, base = build(tmp, size, base, args.users)
            print(f"\n(built {size:,} songs in {time.perf_counter() - start:.0f} s)")
            worst_miss, worst_hit = report(size, measure(app, args.users))
            for name, worst, target in (
                ("miss", worst_miss, TARGET_P95_MS),
                ("hit", worst_hit, TARGET_HIT_P95_MS),
            ):
                verdict = "met" if worst <= target else "NOT met"
                print(
                    f"target: every approach's {name} p95 <= {target} ms -> worst {worst:.1f} ms, {verdict}"
                )


if __name__ == "__main__":
    main()
