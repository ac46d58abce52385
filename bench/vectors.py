"""Benchmark: top-10 latency and recall of the vector stores against numpy brute force.

    python bench/vectors.py [--sizes 10000,100000] [--queries 200]

For each size: 384-d "perturbed" vectors (200 random cluster centres + gaussian noise, normalised,
like clustered text embeddings), payload genre from the cluster, explicit at random, popularity.
Queries are taste vectors: the mean of three songs from each of two clusters (a user who likes two
genres), which sit between clusters, the hard case for HNSW. Each query runs unfiltered, filtered
(genre keyword + explicit bool, ~2.5% of the songs) and with 100 excluded ids (drawn from the
query's 200 nearest, as a user's rated songs would be). Prints p50/p95 latency for Edge, for
qdrant-client local mode (at the first size only: it is pure Python), and for numpy brute force
over the same matrix in the same run; Edge's recall@10 against the exact answer; bulk upsert and
optimize times; and an hnsw_ef sweep where Edge searches approximately.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app.vectors.edge_requests as edge_requests
from app.vectors import Point, create_vector_store
from app.vectors.filters import EXACT_BELOW, HNSW_EF

DIM = 384
CENTRES = 200
SIGMA = 0.05  # noise per dimension: a song's cosine to its centre is ~0.7
GENRES = [f"genre{i:02d}" for i in range(20)]
FIELDS = {"genre": "keyword", "explicit": "bool", "popularity": "integer"}
BATCH = 1000  # points per upsert call, as the app writes them
NAME = "songs"
TARGET_P50_MS, TARGET_RECALL = 3.0, 0.95


def catalog(n, seed=0):
    """Unit vectors around CENTRES random centres, and their payload columns."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    cluster = rng.integers(0, CENTRES, n)
    x = centres[cluster] + SIGMA * rng.standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    genre = cluster % len(GENRES)
    explicit = rng.random(n) < 0.5
    popularity = rng.integers(0, 101, n)
    return x, cluster, genre, explicit, popularity


def taste_queries(x, cluster, count, seed=1):
    """Means of three songs from each of two random clusters, normalised."""
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(cluster == c) for c in range(CENTRES)]
    queries = []
    for _ in range(count):
        picks = [rng.choice(members[c], 3) for c in rng.choice(CENTRES, 2, replace=False)]
        q = x[np.concatenate(picks)].mean(axis=0)
        queries.append(q / np.linalg.norm(q))
    return np.array(queries, dtype=np.float32)


def points(x, genre, explicit, popularity):
    for i in range(len(x)):
        yield Point(
            id=i + 1,
            vector=x[i],
            payload={
                "song_id": i + 1,
                "genre": GENRES[genre[i]],
                "explicit": bool(explicit[i]),
                "popularity": int(popularity[i]),
            },
        )


def cases(x, genre, explicit, queries):
    """Per query and case: (must, exclude_ids, numpy mask or None, excluded rows)."""
    rng = np.random.default_rng(2)
    result = {"plain": [], "filter": [], "exclude100": []}
    for q in queries:
        sims = x @ q
        g = genre[int(np.argmax(sims))]  # filter on the genre of the best song, so it matters
        result["plain"].append((None, (), None, None))
        result["filter"].append(({"genre": GENRES[g], "explicit": False}, (), (genre == g) & ~explicit, None))
        rows = rng.choice(np.argpartition(-sims, 200)[:200], 100, replace=False)
        result["exclude100"].append((None, [int(r) + 1 for r in rows], None, rows))
    return result


def numpy_top10(x, q, mask, rows):
    sims = x @ q
    if mask is not None:
        sims = np.where(mask, sims, -np.inf)
    if rows is not None:
        sims[rows] = -np.inf
    top = np.argpartition(-sims, 10)[:10]
    return top[np.argsort(-sims[top])] + 1


def percentiles(seconds):
    ms = np.array(seconds) * 1000
    return np.percentile(ms, 50), np.percentile(ms, 95)


def run_store(store, queries, case_list, x, limit=None):
    """Latencies and recall@10 of a store's search over one case's queries."""
    latencies, recalls = [], []
    for q, (must, excluded, mask, rows) in list(zip(queries, case_list))[:limit]:
        start = time.perf_counter()
        hits = store.search(NAME, q, k=10, must=must, exclude_ids=excluded)
        latencies.append(time.perf_counter() - start)
        truth = set(numpy_top10(x, q, mask, rows).tolist())
        recalls.append(len(truth & {h.id for h in hits}) / 10)
    return latencies, float(np.mean(recalls))


def run_numpy(queries, case_list, x, limit=None):
    latencies = []
    for q, (_, _, mask, rows) in list(zip(queries, case_list))[:limit]:
        start = time.perf_counter()
        numpy_top10(x, q, mask, rows)
        latencies.append(time.perf_counter() - start)
    return latencies


def load(store, x, genre, explicit, popularity):
    """Bulk upsert in app-sized calls, then optimize; returns (upsert s, optimize s)."""
    store.ensure_collection(NAME, DIM, FIELDS)
    start = time.perf_counter()
    batch = []
    for point in points(x, genre, explicit, popularity):
        batch.append(point)
        if len(batch) == BATCH:
            store.upsert(NAME, batch)
            batch = []
    store.upsert(NAME, batch)
    upserted = time.perf_counter() - start
    start = time.perf_counter()
    store.optimize(NAME)
    return upserted, time.perf_counter() - start


def bench_size(n, n_queries, with_client, workdir):
    x, cluster, genre, explicit, popularity = catalog(n)
    queries = taste_queries(x, cluster, n_queries)
    by_case = cases(x, genre, explicit, queries)
    print(f"\n== {n:,} points x {DIM}-d, {n_queries} taste queries")
    backends = [("edge", create_vector_store(vectors_path=os.path.join(workdir, f"edge{n}")), None)]
    if with_client:  # pure Python: 50 queries a case keep it under a minute
        backends.append(("client-local", create_vector_store(qdrant_location=":memory:"), 50))
    numpy_p50 = {}
    for case, case_list in by_case.items():
        numpy_p50[case] = percentiles(run_numpy(queries, case_list, x))
    results = {}
    for label, store, limit in backends:
        upserted, optimized = load(store, x, genre, explicit, popularity)
        print(
            f"{label:13s} upsert {upserted:6.1f} s ({n / upserted:,.0f} points/s)"
            f"   optimize {optimized:5.1f} s"
        )
        # The first pass pages freshly written segments in (mmap): report it, then time warm passes.
        cold, _ = run_store(store, queries, by_case["plain"], x, limit)
        print(f"{label:13s} {'first pass':10s} p50 {percentiles(cold)[0]:7.2f} ms  (cold, unfiltered)")
        for case, case_list in by_case.items():
            latencies, recall = run_store(store, queries, case_list, x, limit)
            p50, p95 = percentiles(latencies)
            results[(label, case)] = (p50, recall)
            print(
                f"{label:13s} {case:10s} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  recall@10 {recall:.3f}"
                f"   numpy p50 {numpy_p50[case][0]:6.2f} ms  ratio {p50 / numpy_p50[case][0]:5.2f}"
            )
        if label == "edge" and n >= EXACT_BELOW:
            sweep(store, queries, by_case, x)
        store.close()
    return results


def sweep(store, queries, by_case, x):
    """Edge recall and p50 for other hnsw_ef values (the store's constant, patched)."""
    try:
        for ef in (100, 256, 512, 1024):
            row = []
            edge_requests.HNSW_EF = ef
            for case in ("plain", "exclude100"):
                latencies, recall = run_store(store, queries, by_case[case], x)
                row.append(f"{case} p50 {percentiles(latencies)[0]:5.2f} ms recall {recall:.3f}")
            print(f"  hnsw_ef {ef:5d}: " + "   ".join(row) + ("   <- chosen" if ef == HNSW_EF else ""))
    finally:
        edge_requests.HNSW_EF = HNSW_EF


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated point counts")
    parser.add_argument("--queries", type=int, default=200, help="queries per case")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(
        f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; Edge searches exactly below "
        f"{EXACT_BELOW:,} points, else HNSW with hnsw_ef={HNSW_EF}"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-vectors-") as workdir:
        results = {}
        for i, n in enumerate(sizes):
            results[n] = bench_size(n, args.queries, with_client=(i == 0), workdir=workdir)
    biggest = max(sizes)
    p50, recall = results[biggest][("edge", "filter")]
    verdict = "met" if p50 <= TARGET_P50_MS and recall >= TARGET_RECALL else "NOT met"
    print(
        f"\ntarget (Edge, filtered, {biggest:,} points: p50 <= {TARGET_P50_MS} ms, recall@10 >= "
        f"{TARGET_RECALL}): p50 {p50:.2f} ms, recall {recall:.3f} -> {verdict}"
    )
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
