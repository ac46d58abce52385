"""Benchmark: an app instance's songs index, as built then and rebuilt with this checkout's config.

    python bench/vectors_instance.py VECTORS_FOLDER [--ef 256,512] [--rebuild WORK_FOLDER]

Searches the songs collection with every user's taste vector (the users collection's points), top 10,
exactly and by HNSW at each hnsw_ef, and prints recall@10 against the exact answer with the median
CPU time. --rebuild first copies the songs (vectors and payloads) into a new store in WORK_FOLDER,
made with this checkout's EdgeVectorStore config, times its optimize(), and measures both stores
in the same run. VECTORS_FOLDER is opened (and locked) but not written: pass a copy anyway, since
no other process may hold it meanwhile.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import qdrant_edge as qe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app.vectors.edge_requests as edge_requests
from app.vectors import DENSE, Point
from app.vectors.edge import EdgeVectorStore
from app.vectors.schema import SONG_INDEXED_FIELDS, SONGS, USERS


def rebuild(source, folder, dim):
    """The songs of `source` in a new store at `folder` with this checkout's config."""
    target = EdgeVectorStore(folder)
    target.ensure_collection(SONGS, dim, SONG_INDEXED_FIELDS)
    with source._shard(SONGS, "reading") as shard:
        offset = None
        while True:
            page = qe.ScrollRequest(offset=offset, limit=1000, with_payload=True, with_vector=True)
            records, offset = shard.scroll(page)
            target.upsert(SONGS, [Point(int(r.id), r.vector[DENSE], dict(r.payload)) for r in records])
            if offset is None:
                break
    wall, cpu = time.perf_counter(), time.process_time()
    target.optimize(SONGS)
    print(f"rebuilt: optimize {time.perf_counter() - wall:.0f} s, {time.process_time() - cpu:.0f} s CPU")
    return target


def searches(store, queries, exact, ef=None):
    edge_requests.EXACT_BELOW, edge_requests.HNSW_EF = (10**12, edge_requests.HNSW_EF) if exact else (0, ef)
    found, cpu = [], []
    for q in queries:
        start = time.process_time()
        hits = store.search(SONGS, q, k=10, payload=False)
        cpu.append(time.process_time() - start)
        found.append({h.id for h in hits})
    return found, float(np.median(cpu)) * 1e3


def measure(label, store, queries, efs):
    truth, cpu = searches(store, queries, exact=True)
    print(f"{label}: exact {cpu:.2f} ms CPU")
    for ef in efs:
        found, cpu = searches(store, queries, exact=False, ef=ef)
        recall = np.mean([len(a & b) / 10 for a, b in zip(found, truth)])
        print(f"{label}: hnsw_ef {ef}: recall@10 {recall:.3f}, {cpu:.2f} ms CPU (median)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vectors")
    parser.add_argument("--ef", default="256,512")
    parser.add_argument("--rebuild", help="a new folder for the rebuilt store")
    args = parser.parse_args()
    efs = [int(e) for e in args.ef.split(",")]
    exact_below, hnsw_ef = edge_requests.EXACT_BELOW, edge_requests.HNSW_EF
    source = EdgeVectorStore(args.vectors)
    users = sorted(source.ids(USERS))
    queries = list(source.retrieve(USERS, users).values())
    print(f"{source.count(SONGS):,} songs, {len(queries)} users' taste vectors")
    stores = [("as built", source)]
    if args.rebuild:
        stores.append(("rebuilt", rebuild(source, args.rebuild, len(queries[0]))))
    try:
        for label, store in stores:
            measure(label, store, queries, efs)
    finally:
        edge_requests.EXACT_BELOW, edge_requests.HNSW_EF = exact_below, hnsw_ef
        for _, store in stores:
            store.close()


if __name__ == "__main__":
    main()
