"""Benchmark: song embedding speed and text choice on the real sample, the cache, and `flask seed all`.

    SPOTIFY_SAMPLE_CSV=../shared/data/spotify_lyrics_emotion_sample.csv python bench/embeddings.py

1. Text choice: songs/s and neighbourhood quality for several song texts (metadata only, with the
   opening lyrics, with full lyrics): how much of the lyrics-only and full-text neighbourhoods
   each keeps, and how often neighbours share emotion and genre.
2. The project's embedding path (embed_songs into Qdrant Edge, SQL cache included) against a
   plain SentenceTransformer.encode of the same texts in the same process, and a cached rerun.
3. `flask seed all --songs SAMPLE` end to end in a fresh instance, then again (the rerun).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def sample_records(path):
    """Distinct song records of the sample, in file order."""
    from app.catalog.reader import ParsedRow, SpotifyCsv

    records = {}
    with SpotifyCsv(path) as source:
        for item in source:
            if isinstance(item, ParsedRow):
                records[item.record["natural_key"]] = item.record
    return list(records.values())


def neighbours(vectors, k=10):
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return np.argsort(-sims, axis=1)[:, :k]


def overlap(a, b):
    return float(np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(a, b)]))


def text_choice(records, model):
    """Print speed and neighbourhood quality for each candidate song text."""
    from app.embeddings import song_text

    def text(r, words):
        lyrics = r["lyrics"] if words else None
        return song_text(r["artist"], r["title"], r["genres"], r["emotion"], r["album"], lyrics, words)

    variants = {"metadata only": (0, 128), "+ 32 lyric words": (32, 128), "+ 64 lyric words": (64, 128),
                "+ 96 lyric words": (96, 128), "+ full lyrics": (100000, 256)}
    model.max_seq_length = 256
    lyrics_only = neighbours(model.encode([r["lyrics"] or "" for r in records], batch_size=32,
                                          normalize_embeddings=True))
    results = {}
    for name, (words, seq) in variants.items():
        model.max_seq_length = seq
        texts = [text(r, words) for r in records]
        start = time.perf_counter()
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
        results[name] = (len(texts) / (time.perf_counter() - start), neighbours(vectors))
    full = results["+ full lyrics"][1]
    emotion = np.array([r["emotion"] for r in records])
    genre = np.array([r["genre"] for r in records])
    print(f"\n1. Song text ({len(records)} real songs, neighbours = 10 nearest)")
    print(f"{'text':18}{'songs/s':>9}{'lyrics-only nbrs':>18}{'full-text nbrs':>16}{'same emotion':>14}{'same genre':>12}")
    for name, (rate, nbrs) in results.items():
        print(f"{name:18}{rate:>9.1f}{overlap(nbrs, lyrics_only):>18.2f}{overlap(nbrs, full):>16.2f}"
              f"{np.mean(emotion[nbrs] == emotion[:, None]):>14.2f}{np.mean(genre[nbrs] == genre[:, None]):>12.2f}")


def project_path(sample):
    """embed_songs (Edge + SQL cache) against plain encode of the same texts; then a cached rerun."""
    from flask_migrate import upgrade

    from app import create_app
    from app.embeddings import MAX_SEQ_LENGTH
    from app.services.catalog_import import import_spotify_csv
    from app.services.vector_index import embed_songs, embedder, iter_song_pages, song_embedding_text

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db",
                          "QDRANT_LOCATION": None, "VECTORS_PATH": f"{tmp}/vectors"})
        with app.app_context():
            upgrade()
            import_spotify_csv(sample)
            model = embedder()
            texts = [song_embedding_text(s) for page in iter_song_pages() for s in page]
            st = model.model()
            st.max_seq_length = MAX_SEQ_LENGTH
            st.encode(texts[:32])  # warm-up, so neither side pays for first-call setup
            start = time.perf_counter()
            st.encode(texts, batch_size=64, normalize_embeddings=True)
            plain = len(texts) / (time.perf_counter() - start)
            start = time.perf_counter()
            result = embed_songs(batch_size=64)
            ours = result.embedded / (time.perf_counter() - start)
            start = time.perf_counter()
            again = embed_songs(batch_size=64)
            rerun = time.perf_counter() - start
            app.extensions["vector_store"].close()
    print(f"\n2. Embedding path ({len(texts)} songs, batch 64)")
    print(f"   plain SentenceTransformer.encode  {plain:7.1f} songs/s")
    print(f"   embed_songs (Edge + SQL cache)    {ours:7.1f} songs/s   ratio {ours / plain:.2f}")
    print(f"   cached rerun                      {rerun:7.2f} s for {again.unchanged} unchanged songs, "
          f"{again.embedded} embedded")


def seed_all(sample):
    """Time `flask seed all --songs SAMPLE` twice in a fresh instance."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/s.db", "VECTORS_PATH": f"{tmp}/vectors",
               "SECRET_KEY": "bench-only-" + "x" * 20, "FLASK_APP": "app"}
        env.pop("QDRANT_URL", None)
        env.pop("QDRANT_LOCATION", None)
        flask = [sys.executable, "-m", "flask"]
        subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(flask + ["seed", "all", "--songs", str(sample)], env=env, cwd=ROOT, check=True,
                           capture_output=True)
            times.append(time.perf_counter() - start)
    print(f"\n3. flask seed all --songs <real sample>: first run {times[0]:.1f} s (target <= 90), "
          f"rerun {times[1]:.1f} s (target <= 15)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: text,path,seed")
    args = parser.parse_args()
    sample = os.environ.get("SPOTIFY_SAMPLE_CSV")
    if not sample or not Path(sample).is_file():
        sys.exit("set SPOTIFY_SAMPLE_CSV to ../shared/data/spotify_lyrics_emotion_sample.csv")
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    skip = set(args.skip.split(","))
    if "text" not in skip:
        from app.embeddings import shared_embedder

        text_choice(sample_records(sample), shared_embedder("cpu").model())
    if "path" not in skip:
        project_path(sample)
    if "seed" not in skip:
        seed_all(sample)


if __name__ == "__main__":
    main()
