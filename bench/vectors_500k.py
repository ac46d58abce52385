"""Benchmark: Qdrant Edge at catalog scale on real-derived MiniLM vectors: builds and search settings.

    python bench/vectors_500k.py --real /tmp/g_emb_cache.pkl [--size 500000] [--builds current,sq,lean]
        [--incremental 250000] [--queries 100]

--real: a pickle {text: 384-d unit vector} of real all-MiniLM-L6-v2 embeddings (never in the repo).
--size 0 indexes the real vectors themselves; otherwise SIZE points are derived from them, each
normalise(a + t * (b - a) + e): a a random real vector, b one of a's NEIGHBOURS nearest real vectors,
t ~ U(0, 1), e gaussian noise of norm NOISE. So every point lies on a short chord between two real
neighbours, as songs of one artist or style sit near each other.
Payloads are the app's (app.vectors.schema.song_payload, every SONG_INDEXED_FIELDS index): artist
is the base real vector (about SIZE / 21,249 songs each), genre the nearest of GENRES anchor real
vectors (correlated with the vector, as in the app), emotion uniform over EMOTIONS, explicit 50%,
each "Good for" flag 25%, popularity uniform 0-100.
Queries are tastes: the mean of TASTE_SONGS real vectors drawn from one real vector's 30 nearest.
Each runs in every case: a filter of the app's shape (content/knowledge: must, should, and must_not
of 100 library ids drawn from the query's 200 nearest) at several selectivities; recall@10 is
against exact numpy over the same matrix in the same run. Each build is timed (upsert in the app's
1,000-point calls, optimize), then searched with every query-time setting (hnsw_ef, quantization
search params, exact, ACORN), so one build serves many settings.
"""

import argparse
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import qdrant_edge as qe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.spotify_csv.vocab import EMOTIONS, FLAG_COLUMNS
from app.vectors import Point
from app.vectors.base import DENSE
from app.vectors.edge import EdgeVectorStore
from app.vectors.edge_requests import to_filter
from app.vectors.filters import HNSW_EF_CONSTRUCT, HNSW_M, full_scan_threshold_kb
from app.vectors.schema import SONG_INDEXED_FIELDS, song_payload

DIM = 384
NAME = "songs"
NEIGHBOURS, NOISE, GENRES, TASTE_SONGS = 10, 0.15, 50, 4
BATCH = 1000  # points per upsert call, as the app writes them
TARGET_P50_MS, TARGET_RECALL = 3.0, 0.95
KB_PER_POINT = DIM * 4 / 1024


def unit(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def nearest(real, k, chunk=2048):
    """Each real vector's k nearest other real vectors (indices), by cosine."""
    out = np.empty((len(real), k), dtype=np.int64)
    for s in range(0, len(real), chunk):
        sims = real[s : s + chunk] @ real.T
        sims[np.arange(len(sims)), np.arange(s, s + len(sims))] = -np.inf
        out[s : s + chunk] = np.argpartition(-sims, k, axis=1)[:, :k]
    return out


def catalog(real, size, rng):
    """(vectors, base real index per point, genre per point)."""
    anchors = real[rng.choice(len(real), GENRES, replace=False)]
    real_genre = np.argmax(real @ anchors.T, axis=1)
    if size == 0:
        return real, np.arange(len(real)), real_genre
    near = nearest(real, NEIGHBOURS)
    x = np.empty((size, DIM), dtype=np.float32)
    base = rng.integers(0, len(real), size)
    for s in range(0, size, 50_000):
        a = base[s : s + 50_000]
        b = near[a, rng.integers(0, NEIGHBOURS, len(a))]
        t = rng.random((len(a), 1), dtype=np.float32)
        e = rng.standard_normal((len(a), DIM), dtype=np.float32) * (NOISE / np.sqrt(DIM))
        x[s : s + 50_000] = unit(real[a] + t * (real[b] - real[a]) + e)
    return x, base, real_genre[base]


def payloads(n, base, genre, rng):
    emotion = rng.integers(0, len(EMOTIONS), n)
    explicit = rng.random(n) < 0.5
    flags = rng.random((n, len(FLAG_COLUMNS))) < 0.25
    popularity = rng.integers(0, 101, n)
    cols = {"emotion": emotion, "explicit": explicit, "flags": flags, "genre": genre}
    rows = [
        song_payload(
            i + 1,
            f"artist{base[i]}",
            f"genre{genre[i]}",
            [f"genre{genre[i]}"],
            EMOTIONS[emotion[i]],
            bool(explicit[i]),
            int(popularity[i]),
            [c for c, f in zip(FLAG_COLUMNS, flags[i]) if f],
        )
        for i in range(n)
    ]
    return rows, cols


def tastes(real, count, rng):
    near = nearest(real, 30)
    seeds = rng.choice(len(real), count, replace=False)
    return unit(np.array([real[rng.choice(near[s], TASTE_SONGS, replace=False)].mean(0) for s in seeds]))


def cases(x, cols, queries, rng):
    """{case: [(must, should, excluded ids, numpy mask)]}: the app's filter shapes, by selectivity."""
    out = {k: [] for k in ("library", "50%", "17%", "kn~15%", "genre~4%", "genre+flag~1%")}
    for q in queries:
        sims = x @ q
        top = np.argpartition(-sims, 200)[:200]
        excluded = [int(i) + 1 for i in rng.choice(top, 100, replace=False)]
        g = int(cols["genre"][int(np.argmax(sims))])  # a genre the user likes: the common filter
        e, e2 = rng.choice(len(EMOTIONS), 2, replace=False)
        f, f2 = rng.choice(len(FLAG_COLUMNS), 2, replace=False)
        flags, emo, gen = cols["flags"], cols["emotion"], cols["genre"] == g
        out["library"].append((None, None, excluded, None))
        out["50%"].append(({"explicit": False}, None, excluded, ~cols["explicit"]))
        out["17%"].append(({"emotion": EMOTIONS[e]}, None, excluded, emo == e))
        knowledge = (
            {"emotion": [EMOTIONS[e], EMOTIONS[e2]]},
            [{FLAG_COLUMNS[f]: True}, {FLAG_COLUMNS[f2]: True}],
        )
        out["kn~15%"].append(
            (*knowledge, excluded, ((emo == e) | (emo == e2)) & (flags[:, f] | flags[:, f2]))
        )
        out["genre~4%"].append(({"genre": f"genre{g}"}, None, excluded, gen))
        out["genre+flag~1%"].append(
            ({"genre": f"genre{g}", FLAG_COLUMNS[f]: True}, None, excluded, gen & flags[:, f])
        )
    return out


def truth(x, q, mask, excluded):
    sims = x @ q
    if mask is not None:
        sims = np.where(mask, sims, -np.inf)
    sims[np.array(excluded) - 1] = -np.inf
    top = np.argpartition(-sims, 10)[:10]
    return set((top + 1).tolist())


def config(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT, payload_m=None, sq=False, segment_points=None):
    optimizers = None
    if segment_points:  # segments capped at this many points (as app/vectors/edge_requests.py sets them)
        optimizers = qe.EdgeOptimizersConfig(max_segment_size=int(segment_points * KB_PER_POINT))
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=DIM, distance=qe.Distance.Cosine)},
        hnsw_config=qe.HnswIndexConfig(m, ef_construct, full_scan_threshold_kb(DIM), payload_m=payload_m),
        quantization_config=(
            qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99, always_ram=True)
            if sq
            else None
        ),
        optimizers=optimizers,
    )


BUILDS = {
    "current": {},
    "sq": {"sq": True},
    "lean": {"sq": True, "payload_m": 0},
}


class BenchStore(EdgeVectorStore):
    def __init__(self, path, edge_config):
        super().__init__(path)
        self.edge_config = edge_config

    def _config(self, dim, sparse):
        return self.edge_config


def build(workdir, label, edge_config, x, rows, optimize_every=None):
    """Upsert in app-sized calls (optimizing every `optimize_every` points), then optimize."""
    store = BenchStore(os.path.join(workdir, label), edge_config)
    store.ensure_collection(NAME, DIM, SONG_INDEXED_FIELDS)
    calls, cpu0, start = [], time.process_time(), time.perf_counter()
    for s in range(0, len(x), BATCH):
        store.upsert(NAME, [Point(i + 1, x[i], rows[i]) for i in range(s, min(s + BATCH, len(x)))])
        if optimize_every and (s + BATCH) % optimize_every == 0 and s + BATCH < len(x):
            t = time.perf_counter()
            store.optimize(NAME)
            calls.append(time.perf_counter() - t)
    t = time.perf_counter()
    store.optimize(NAME)
    calls.append(time.perf_counter() - t)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu0
    info = store._shards.open(NAME).info()
    print(
        f"\n== build {label}: {len(x):,} points, total {total:.0f} s (CPU {cpu:.0f} s), of which optimize "
        f"{sum(calls):.0f} s in {len(calls)} calls, longest call {max(calls):.1f} s, final call "
        f"{calls[-1]:.1f} s; {info.segments_count} segments, {info.indexed_vectors_count:,} indexed"
    )
    return store


def settings(sq):
    """Query-time settings to try on one build: (label, SearchParams)."""
    ignore = qe.QuantizationSearchParams(ignore=True)
    out = [(f"ef{ef}", qe.SearchParams(hnsw_ef=ef, quantization=ignore)) for ef in (512, 256, 128, 64)]
    out.append(("exact", qe.SearchParams(exact=True, quantization=ignore)))
    acorn = qe.AcornSearchParams(enable=True, max_selectivity=0.4)
    out += [
        (f"acorn ef{ef}", qe.SearchParams(hnsw_ef=ef, quantization=ignore, acorn=acorn)) for ef in (128, 256)
    ]
    if sq:
        for ef in (512, 256, 128, 64):
            for over in (1.5, 2.0, 3.0):
                quant = qe.QuantizationSearchParams(rescore=True, oversampling=over)
                out.append((f"sq{over} ef{ef}", qe.SearchParams(hnsw_ef=ef, quantization=quant)))
        quant = qe.QuantizationSearchParams(rescore=True, oversampling=2.0)
        out.append(("sq2.0 exact", qe.SearchParams(exact=True, quantization=quant)))
        out.append(("sq2.0 acorn ef128", qe.SearchParams(hnsw_ef=128, quantization=quant, acorn=acorn)))
    return out


def sweep(store, queries, by_case, truths, sq, only=frozenset()):
    shard = store._shards.open(NAME)
    filters = {c: [to_filter(m, ex, sh) for m, sh, ex, _ in rows] for c, rows in by_case.items()}
    count_cpu = []
    for f in filters["genre~4%"]:
        t = time.process_time()
        shard.count(qe.CountRequest(exact=False, filter=f))
        count_cpu.append(time.process_time() - t)
    print(f"  count(exact=False) of a genre filter: {np.mean(count_cpu) * 1e3:.3f} ms CPU")
    print(f"  {'setting':18s}" + "".join(f"{c:>22s}" for c in by_case) + "   (p50 ms / CPU ms / recall@10)")
    for label, params in settings(sq):
        if only and label not in only:
            continue
        line = f"  {label:18s}"
        for case in by_case:
            wall, cpu, recall = [], [], []
            for q, f, want in zip(queries, filters[case], truths[case]):
                request = qe.QueryRequest(
                    limit=10, query=qe.Query.Nearest(q.tolist(), using=DENSE), filter=f, params=params
                )
                w, c = time.perf_counter(), time.process_time()
                hits = shard.query(request)
                cpu.append(time.process_time() - c)
                wall.append(time.perf_counter() - w)
                recall.append(len(want & {int(h.id) for h in hits}) / 10)
            p50, r = np.median(wall) * 1e3, np.mean(recall)
            mark = "*" if p50 <= TARGET_P50_MS and r >= TARGET_RECALL else " "
            line += f"  {p50:5.2f}/{np.mean(cpu) * 1e3:5.2f}/{r:.3f}{mark}"
        print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--real", default=os.environ.get("REAL_VECTORS"), required="REAL_VECTORS" not in os.environ
    )
    parser.add_argument("--size", type=int, default=500_000, help="points to derive; 0: the real vectors")
    parser.add_argument("--builds", default="current,sq,lean", help=f"comma list of {sorted(BUILDS)}")
    parser.add_argument("--incremental", type=int, default=0, help="also build sq optimizing every N points")
    parser.add_argument("--settings", default="", help="comma list of setting labels to sweep (default all)")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--no-sweep", action="store_true", help="builds only")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with open(args.real, "rb") as fh:
        real = unit(np.array(list(pickle.load(fh).values()), dtype=np.float32))
    x, base, genre = catalog(real, args.size, rng)
    rows, cols = payloads(len(x), base, genre, rng)
    queries = tastes(real, args.queries, rng)
    by_case = cases(x, cols, queries, rng)
    truths = {
        c: [truth(x, q, mask, ex) for q, (_, _, ex, mask) in zip(queries, rows_)]
        for c, rows_ in by_case.items()
    }
    share = {c: np.mean([1.0 if m is None else m.mean() for *_, m in r]) for c, r in by_case.items()}
    print(
        f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f}; {len(x):,} points from {len(real):,} real vectors"
    )
    print(
        "selectivity (mean share of points matching): " + ", ".join(f"{c} {s:.4f}" for c, s in share.items())
    )
    with tempfile.TemporaryDirectory(prefix="bench-v500k-", dir=os.environ.get("BENCH_TMP")) as workdir:
        plans = [(name, BUILDS[name], None) for name in args.builds.split(",") if name]
        if args.incremental:
            plans.append(
                (
                    f"sq-every{args.incremental}",
                    {**BUILDS["sq"], "segment_points": args.incremental},
                    args.incremental,
                )
            )
        for label, kwargs, every in plans:
            store = build(workdir, label, config(**kwargs), x, rows, every)
            if not args.no_sweep:
                only = {label for label in args.settings.split(",") if label}
                sweep(store, queries, by_case, truths, kwargs.get("sq", False), only)
            store.close()


if __name__ == "__main__":
    main()
