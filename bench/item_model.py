"""Benchmark: the item model's fit time, memory and scoring speed at app scale.

    python bench/item_model.py [--users 10000] [--songs 100000] [--per-user 100] [--max-items 4000]

Synthetic likes: each user likes `per-user` songs drawn with Zipf-like popularity (a few songs are
liked by many, most by few), as on Last.fm. The app's fit (float32) runs beside a float64 fit of
the same data in this process, as the baseline; scoring a user is compared with one numpy top-k
over the same scores. Peak memory is the process's peak resident set size after each step.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.recommend import item_model


def likes(users, songs, per_user, seed=0):
    """(user ids, song ids) of synthetic positives with a Zipf-like song popularity."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, songs + 1) ** 0.8
    weights /= weights.sum()
    user_ids = np.repeat(np.arange(users), per_user)
    song_ids = rng.choice(songs, size=users * per_user, p=weights) + 1
    return user_ids, song_ids


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fit64(users, songs, max_items):
    """The same fit in float64: the baseline."""
    return item_model.fit_item_model_from_pairs(
        users, songs, max_items=max_items, version="f64", dtype=np.float64
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--songs", type=int, default=100_000)
    parser.add_argument("--per-user", type=int, default=100)
    parser.add_argument("--max-items", type=int, default=item_model.MAX_ITEMS)
    args = parser.parse_args()
    users, songs = likes(args.users, args.songs, args.per_user)
    print(f"{args.users:,} users x {args.songs:,} songs, {len(users):,} likes; cap {args.max_items:,} songs")
    base = peak_mb()
    start = time.perf_counter()
    model = item_model.fit_item_model_from_pairs(users, songs, max_items=args.max_items, version="f32")
    fit32 = time.perf_counter() - start
    after32 = peak_mb()
    start = time.perf_counter()
    model64 = fit64(users, songs, args.max_items)
    fit_64 = time.perf_counter() - start
    drift = float(np.abs(model.weights - model64.weights).max())
    overlap = []
    for user in range(200):
        liked = [int(s) for s in songs[users == user]]
        a, _ = item_model.item_scores(model, liked)
        b, _ = item_model.item_scores(model64, liked)
        overlap.append(len(set(np.argsort(-a)[:10]) & set(np.argsort(-b)[:10])) / 10)
    del model64
    liked = [int(s) for s in songs[users == 0]]
    start = time.perf_counter()
    for _ in range(200):
        scores, _ = item_model.item_scores(model, liked)
    score_ms = (time.perf_counter() - start) / 200 * 1000
    start = time.perf_counter()
    for _ in range(200):
        np.argpartition(-scores, 40)[:40]
    topk_ms = (time.perf_counter() - start) / 200 * 1000
    print(f"{'':28}{'float32 (app)':>16}{'float64 (baseline)':>20}{'ratio':>8}")
    print(f"{'fit seconds':28}{fit32:>16.1f}{fit_64:>20.1f}{fit32 / fit_64:>8.2f}")
    print(
        f"model memory: {model.nbytes / 1e6:.0f} MB for {len(model.item_ids):,} songs; "
        f"peak RSS {base:.0f} MB before, {after32:.0f} MB after the float32 fit "
        f"(+{after32 - base:.0f} MB)"
    )
    print(f"float32 against float64: max |B difference| {drift:.1e}, top-10 overlap {np.mean(overlap):.3f}")
    print(
        f"scoring one user ({len(liked)} likes): {score_ms:.2f} ms; a numpy top-40 of the scores "
        f"(baseline) {topk_ms:.2f} ms; ratio {score_ms / topk_ms:.1f}"
    )


if __name__ == "__main__":
    main()
