"""A split's data and what the engines are handed from it: the users and items (EvalUser, ItemSet),
the items' vectors, the users' contexts and points built from the training side only, and the
throwaway store filled with both. harness.py runs the approaches on it; validation.py rebuilds it
from what a validation split leaves.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from ..recommend.items import SongInfo, UserContext, Vector
from ..recommend.taste import taste_vector
from ..vectors import Point, VectorStore, schema
from ..vectors.schema import SONGS, USERS
from .split_catalog import SplitCatalog


class Embedder(Protocol):
    """What the evaluation embeds texts with: app.embeddings.SentenceEmbedder, or a fast fake in tests."""

    def encode(self, texts: Iterable[str], batch_size: int = ...) -> NDArray[np.float32]: ...


class Bar(Protocol):
    """A progress bar: tqdm's, or one that shows nothing."""

    def update(self, n: int = 1) -> object: ...


# progress(total, description): a context-managed Bar.
Progress = Callable[[int, str], AbstractContextManager[Bar]]
# (item ids, their vectors as rows): item_matrix's result, reused by later runs.
ItemVectors = tuple[list[int], Vector]


@dataclass
class EvalUser:
    """One user's side of the split: what the engines may see, and what they should find."""

    user_id: int
    history: dict[
        int, float
    ]  # training item id -> weight (+ for, - against): all vectors are built from this
    library: frozenset[int]  # every training item: never recommended
    held_out: frozenset[int] = frozenset()  # test items; a user with none is only a neighbour to others
    emotions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    preference_text: str = ""  # stated preferences, embedded when `preference` is not given
    preference: Vector | None = None
    # (item id, tag) assignments the tags were counted from, when they come from the user's own
    # tagging: a validation split recomputes the tags without its held-out items.
    tag_log: tuple[tuple[int, str], ...] = ()


@dataclass
class ItemSet:
    """The catalog: facts, payloads (app/vectors/schema.py song_payload, as the app's index holds
    them), and vectors (known ones, or texts to embed)."""

    infos: dict[int, SongInfo]  # id -> SongInfo
    payloads: dict[int, dict[str, Any]]  # id -> payload of the song point
    vectors: dict[int, Vector] = field(default_factory=dict)  # id -> vector, reused as is
    texts: dict[int, str] = field(default_factory=dict)  # id -> text, embedded for ids without a vector


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass


def no_progress(total: int, description: str) -> AbstractContextManager[Bar]:
    """The Progress that shows nothing: the default of every step that takes one."""
    return nullcontext(_NoBar())


def item_matrix(
    items: ItemSet, embedder: Embedder, batch_size: int = 64, progress: Progress = no_progress
) -> ItemVectors:
    """(item ids, unit vectors as rows): known vectors reused, the rest embedded in batches."""
    ids = list(items.infos)
    missing = [i for i in ids if i not in items.vectors]
    absent = [i for i in missing if not items.texts.get(i)]
    if absent:
        raise ValueError(f"{len(absent)} items have neither a vector nor a text, e.g. item {absent[0]}")
    encoded: dict[int, Vector] = {}
    with progress(len(missing), "Embedding items") as bar:
        for start in range(0, len(missing), batch_size * 8):
            chunk = missing[start : start + batch_size * 8]
            for item, vector in zip(chunk, embedder.encode([items.texts[i] for i in chunk], batch_size)):
                encoded[item] = vector
            bar.update(len(chunk))
    matrix = np.asarray(
        [items.vectors[i] if i in items.vectors else encoded[i] for i in ids], dtype=np.float32
    )
    return ids, matrix


def preference_vectors(
    users: Sequence[EvalUser], embedder: Embedder, batch_size: int = 64
) -> dict[int, Vector | None]:
    """{user id: preference vector or None}; each distinct stated-preference text is embedded once."""
    texts = sorted({u.preference_text for u in users if u.preference is None and u.preference_text})
    encoded = dict(zip(texts, embedder.encode(texts, batch_size))) if texts else {}
    return {
        u.user_id: u.preference if u.preference is not None else encoded.get(u.preference_text) for u in users
    }


def user_contexts(
    users: Iterable[EvalUser],
    index: Mapping[int, int],
    matrix: Vector,
    preferences: Mapping[int, Vector | None],
) -> dict[int, UserContext]:
    """{user id: UserContext} with taste vectors from training history only, as the app computes them."""
    contexts: dict[int, UserContext] = {}
    for user in users:
        known = [(item, w) for item, w in user.history.items() if w and item in index]
        rows = matrix[[index[item] for item, _ in known]] if known else np.zeros((0, matrix.shape[1]))
        taste = taste_vector(rows, [w for _, w in known], preferences.get(user.user_id))
        contexts[user.user_id] = UserContext(
            user.user_id,
            taste,
            preferences.get(user.user_id),
            tuple(user.emotions),
            tuple(user.tags),
            history=dict(user.history),
            library=frozenset(user.library),
        )
    return contexts


def user_points(users: Iterable[EvalUser], contexts: Mapping[int, UserContext]) -> list[Point]:
    """The users collection's points: taste vector and unit sparse vector of training positives."""
    return [
        # cast: the condition below keeps the users with a taste vector
        Point(
            u.user_id,
            cast(Vector, contexts[u.user_id].taste).tolist(),
            schema.user_payload(u.user_id, u.emotions, u.tags),
            contexts[u.user_id].sparse or None,
        )
        for u in users
        if contexts[u.user_id].taste is not None
    ]


def build_store(
    store: VectorStore, ids: Sequence[int], matrix: Vector, items: ItemSet, points: Iterable[Point]
) -> VectorStore:
    """Fill an empty store with the songs and users collections, as the app's index holds them."""
    schema.create_collections(store, matrix.shape[1])
    store.upsert(SONGS, [Point(i, matrix[row].tolist(), items.payloads[i]) for row, i in enumerate(ids)])
    store.upsert(USERS, points)
    store.optimize(SONGS)
    store.optimize(USERS)
    return store


def prepare(
    users: Sequence[EvalUser],
    items: ItemSet,
    embedder: Embedder,
    progress: Progress = no_progress,
    vectors: ItemVectors | None = None,
) -> tuple[list[int], Vector, dict[int, UserContext], SplitCatalog]:
    """(ids, matrix, contexts, catalog) of a split: item vectors (given or embedded), users' training side."""
    ids, matrix = vectors if vectors is not None else item_matrix(items, embedder, progress=progress)
    index = {item: row for row, item in enumerate(ids)}
    contexts = user_contexts(users, index, matrix, preference_vectors(users, embedder))
    catalog = SplitCatalog(items.infos, {u.user_id: u.history for u in users}, (ids, matrix))
    return ids, matrix, contexts, catalog
