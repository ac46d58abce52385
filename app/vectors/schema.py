"""The vector schema: what the songs and users collections hold, and how a user's activity weighs.

One owner for facts that the app's index (app/services/indexing/), the evaluation's throwaway stores
(app/evaluation/) and the engines (app/recommend/) must agree on: a store filled by the evaluation
has to look like the app's index, or the evaluation measures something the app never serves. Pure:
no Flask, no database, so the engines may import it (tests/test_architecture.py).
"""

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..spotify_csv.vocab import FLAG_COLUMNS
from .base import VectorStore

SONGS = "songs"
USERS = "users"

# Payload fields that searches filter on, and the index each gets ("keyword", "integer", "bool").
# A filter on a field without an index scans every point's payload; with one, Qdrant narrows first.
# Songs: the lists' filters (genre, emotion, explicit) and knowledge's conditions (genres, the
# "Good for ..." flags), plus artist and popularity for searches by artist or popularity Range.
SONG_INDEXED_FIELDS: Mapping[str, str] = {
    "genre": "keyword",
    "genres": "keyword",
    "emotion": "keyword",
    "artist": "keyword",
    "explicit": "bool",
    "popularity": "integer",
    **dict.fromkeys(FLAG_COLUMNS, "bool"),
}
# Users: their stated moods and tags, for searches among users who share them.
USER_INDEXED_FIELDS: Mapping[str, str] = {"emotions": "keyword", "tags": "keyword"}


@dataclass(frozen=True)
class CollectionSpec:
    """One collection: its name, its payload indexes, and whether points carry a sparse vector too."""

    name: str
    indexed_fields: Mapping[str, str]
    sparse: bool = False


# Both collections hold dense vectors of one size, the embedder's (384 for all-MiniLM-L6-v2): a
# taste vector blends song vectors with the embedded stated preferences, so users and songs share
# one space and a taste vector searches songs directly. Users also carry a sparse vector, their
# interaction weights keyed by song id (user_sparse), which collaborative filtering searches.
COLLECTIONS = (
    CollectionSpec(SONGS, SONG_INDEXED_FIELDS),
    CollectionSpec(USERS, USER_INDEXED_FIELDS, sparse=True),
)


def create_collections(store: VectorStore, dim: int) -> None:
    """Create every collection the schema names (a no-op for those already there), `dim` wide."""
    for spec in COLLECTIONS:
        store.ensure_collection(spec.name, dim, spec.indexed_fields, sparse=spec.sparse)


def song_payload(
    song_id: int,
    artist: str | None,
    genre: str | None,
    genres: Sequence[str],
    emotion: str | None,
    explicit: bool,
    popularity: int,
    flags: Collection[str] = (),
) -> dict[str, Any]:
    """A song point's payload; `flags` names the "Good for ..." columns that are true (the rest are false)."""
    payload: dict[str, Any] = {
        "song_id": song_id,
        "artist": artist,
        "genre": genre,
        "genres": list(genres),
        "emotion": emotion,
        "explicit": explicit,
        "popularity": popularity,
    }
    payload.update({column: column in flags for column in FLAG_COLUMNS})
    return payload


def user_payload(user_id: int, emotions: Sequence[str], tags: Sequence[str]) -> dict[str, Any]:
    """A user point's payload: their stated moods and tags."""
    return {"user_id": user_id, "emotions": list(emotions), "tags": list(tags)}


def user_sparse(weights: Mapping[int, float]) -> dict[int, float]:
    """A user's sparse vector: their positive interaction weights {song id: weight}, at unit length.

    Unit length, so a dot product between two users is their cosine similarity; songs pushed against
    are left out, so two users who both disliked a song are not made alike by it.
    """
    positive = {song: float(w) for song, w in weights.items() if w > 0}
    norm = math.sqrt(sum(w * w for w in positive.values()))
    return {song: w / norm for song, w in positive.items()} if norm else {}


# What users do with songs (the event log's kinds). Each sets or clears one field of the user's
# state for the song (play count, liked, rating, bookmarked, disliked), which interaction_weight reads.
ACTIVITY_KINDS = (
    "play",
    "like",
    "unlike",
    "rate",
    "unrate",
    "bookmark",
    "unbookmark",
    "dislike",
    "undislike",
)
RATING_WEIGHTS: dict[int | None, float] = {1: -2.0, 2: -1.0, 3: 0.0, 4: 1.0, 5: 2.0}


def interaction_weight(
    play_count: int | None = 0,
    liked: bool | None = False,
    rating: int | None = None,
    bookmarked: bool | None = False,
    disliked: bool | None = False,
) -> float:
    """How much one song says about a user's taste: positive for, negative against, 0 for nothing."""
    if disliked:
        return -2.5
    weight = 2.0 * bool(liked) + 1.5 * bool(bookmarked) + RATING_WEIGHTS.get(rating, 0.0)
    if play_count and play_count > 1:
        weight += 0.5 * math.log2(play_count)  # repeated plays count, with diminishing returns
    return weight
