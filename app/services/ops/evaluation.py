"""The offline evaluation's split, read from the app's own database (read only: nothing is written)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from ...embeddings import preference_text, text_hash
from ...evaluation.split import EvalUser, ItemSet
from ...extensions import db
from ...models import INTERACTION_COLUMNS, Song, SongVector, User, UserSong, UserVector, from_blob
from ...recommend.items import SongInfo
from ...vectors.schema import interaction_weight
from ..indexing.song_vectors import SONG_COLUMNS, song_embedding_text, song_payload

# (song id, interaction weight, updated_at): one user's current relation to one song.
Interaction = tuple[int, float, dt.datetime]


def load_items() -> ItemSet:
    """Every song as an ItemSet: its vector from SQL when embedded, else its text to embed."""
    infos: dict[int, SongInfo] = {}
    payloads: dict[int, dict[str, Any]] = {}
    vectors: dict[int, NDArray[np.float32]] = {}
    texts: dict[int, str] = {}
    rows = db.session.execute(
        sa.select(*SONG_COLUMNS, SongVector.vector)
        .outerjoin(SongVector, SongVector.song_id == Song.id)
        .order_by(Song.id)
    )
    for song in rows:
        infos[song.id] = SongInfo(
            song.id,
            song.title,
            song.artist,
            song.genre,
            song.emotion,
            bool(song.explicit),
            song.popularity or 0,
        )
        payloads[song.id] = song_payload(song)
        if song.vector is not None:
            vectors[song.id] = from_blob(song.vector)
        else:
            texts[song.id] = song_embedding_text(song)
    return ItemSet(infos, payloads, vectors, texts)


def _interactions() -> dict[int, list[Interaction]]:
    """{user id: [(song id, weight, updated_at)]} of every user's current relation to each song."""
    by_user: defaultdict[int, list[Interaction]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(UserSong.user_id, UserSong.song_id, *INTERACTION_COLUMNS, UserSong.updated_at)
    )
    for user_id, song_id, plays, liked, rating, bookmarked, disliked, updated_at in rows:
        weight = interaction_weight(plays, liked, rating, bookmarked, disliked)
        by_user[user_id].append((song_id, weight, updated_at))
    return by_user


def hold_out(
    interactions: Sequence[Interaction], holdout: int, min_positives: int
) -> tuple[dict[int, float], frozenset[int], frozenset[int]]:
    """(training {song: weight}, training library, held-out songs) of one user's interactions.

    A user with at least min_positives positive songs (likes, ratings of 4-5, bookmarks, repeated
    plays) loses the `holdout` most recent of them; everyone else keeps everything and is scored on nothing.
    """
    positives = [(at, song) for song, weight, at in interactions if weight > 0]
    held: set[int] = set()
    if len(positives) >= min_positives:
        positives.sort(key=lambda pair: (pair[0], pair[1]), reverse=True)  # newest first, ids break ties
        held = {song for _, song in positives[:holdout]}
    history = {song: weight for song, weight, _ in interactions if weight and song not in held}
    library = frozenset(song for song, _, _ in interactions if song not in held)
    return history, library, frozenset(held)


def load_users(holdout: int = 5, min_positives: int = 10) -> list[EvalUser]:
    """Every user as an EvalUser, the most recent positives of the active ones held out."""
    interactions = _interactions()
    cached = {row.user_id: row for row in db.session.scalars(sa.select(UserVector))}
    users: list[EvalUser] = []
    rows = db.session.execute(sa.select(User.id, User.emotions, User.tags, User.bio).order_by(User.id))
    for user_id, emotions, tags, bio in rows:
        history, library, held = hold_out(interactions.get(user_id, []), holdout, min_positives)
        emotions, tags = tuple(emotions or ()), tuple(tags or ())
        text = preference_text(emotions, tags, bio)
        row = cached.get(user_id)
        preference: NDArray[np.float32] | None = None
        # The stated-preference vector is not activity, so the cached one is safe to reuse.
        if text and row is not None and row.preference_vector and row.preference_hash == text_hash(text):
            preference = from_blob(row.preference_vector)
        users.append(EvalUser(user_id, history, library, held, emotions, tags, text, preference))
    return users
