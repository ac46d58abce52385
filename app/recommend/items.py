"""What engines take and give: the user's context, filters, song facts, and ranked recommendations."""

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

SONGS = "songs"
USERS = "users"


@dataclass(frozen=True)
class Filters:
    """Optional limits on what may be recommended."""

    no_explicit: bool = False
    genre: str | None = None
    emotion: str | None = None

    def must(self):
        """The same limits as a vector store `must` filter."""
        must = {}
        if self.no_explicit:
            must["explicit"] = False
        if self.genre:
            must["genre"] = self.genre  # the primary genre, as browsing and SQL filter it
        if self.emotion:
            must["emotion"] = self.emotion
        return must

    def accepts(self, song):
        """True when a SongInfo passes every limit."""
        return (
            not (self.no_explicit and song.explicit)
            and (not self.genre or self.genre == song.genre)
            and (not self.emotion or song.emotion == self.emotion)
        )


NO_FILTERS = Filters()


@dataclass(frozen=True)
class SongInfo:
    """The facts about a song that ranking and reasons need."""

    id: int
    title: str
    artist: str
    genre: str | None = None
    genres: tuple = ()
    emotion: str | None = None
    explicit: bool = False
    popularity: int = 0


@dataclass(frozen=True)
class Recommendation:
    """One ranked item: the song, its score, the approach that found it and why, in plain words."""

    song_id: int
    score: float
    approach: str
    reason: str
    sources: tuple = ()


@dataclass
class UserContext:
    """Everything about one user that the engines may use."""

    user_id: int
    taste: np.ndarray | None = None
    preference: np.ndarray | None = None
    emotions: tuple = ()
    tags: tuple = ()
    history: dict = field(default_factory=dict)  # song id -> interaction weight (+ for, - against)
    verbs: dict = field(default_factory=dict)  # song id -> "liked", "rated 5", "played 4 times", ...
    library: frozenset = frozenset()  # every song the user did anything with: never recommended

    @property
    def positives(self):
        """Song ids that count for the user's taste, strongest first."""
        return [s for s, w in sorted(self.history.items(), key=lambda kv: -kv[1]) if w > 0]

    @property
    def sparse(self):
        """The positive history as a unit-length sparse vector {song id: weight}."""
        weights = {s: w for s, w in self.history.items() if w > 0}
        norm = float(np.sqrt(sum(w * w for w in weights.values())))
        return {s: w / norm for s, w in weights.items()} if norm else {}


class CatalogData(Protocol):
    """The data engines read besides vectors (an SQL-backed one in the app, a dict in tests)."""

    def songs(self, ids):
        """{id: SongInfo} for the ids that exist."""

    def positives(self, user_ids):
        """{user id: {song id: weight in (0, 1]}} of each user's positive songs, strongest = 1."""

    def vectors(self, ids):
        """{id: float32 array} of the songs' dense vectors, for the ids that have one."""

    def popular(self, k, filters, exclude):
        """[(song id, score, reason)] of the k most popular songs passing filters, none in exclude."""

    def item_model(self):
        """The item-to-item model (app.recommend.item_model.ItemModel), or None when there is none yet."""


def unit_rows(matrix):
    """The rows scaled to unit length (float32), as a cosine collection stores them; zero rows stay zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0).astype(np.float32)


def quote(song):
    """A song named the way reasons name it: 'Title' by Artist."""
    return f"'{song.title}' by {song.artist}"
