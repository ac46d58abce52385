"""What engines take and give: the user's context, filters, song facts, and ranked recommendations."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

# The collections' names, for the engines that search them (app/vectors/schema.py owns them).
from ..vectors.schema import SONGS as SONGS
from ..vectors.schema import USERS as USERS
from ..vectors.schema import user_sparse

if TYPE_CHECKING:  # item_model imports this module: a runtime import would be circular
    from .item_model import ItemModel

# A dense vector as the engines hold it (catalog vectors, taste and preference vectors).
Vector = NDArray[np.float32]
# (song id, score, reason): one entry of CatalogData.popular().
PopularItem = tuple[int, float, str]


@dataclass(frozen=True)
class Filters:
    """Optional limits on what may be recommended."""

    no_explicit: bool = False
    genre: str | None = None
    emotion: str | None = None

    def must(self) -> dict[str, Any]:
        """The same limits as a vector store `must` filter."""
        must: dict[str, Any] = {}
        if self.no_explicit:
            must["explicit"] = False
        if self.genre:
            must["genre"] = self.genre  # the primary genre, as browsing and SQL filter it
        if self.emotion:
            must["emotion"] = self.emotion
        return must

    def accepts(self, song: "SongInfo") -> bool:
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
    # The primary genre, which Filters.genre matches. Not the list of genres: nothing ranks or
    # explains by it here (searches filter the store's payload), and decoding that JSON column cost
    # SqlCatalog 0.3-0.4 ms per 100 songs.
    genre: str | None = None
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
    sources: tuple[str, ...] = ()


@dataclass
class UserContext:
    """Everything about one user that the engines may use."""

    user_id: int
    taste: Vector | None = None
    preference: Vector | None = None
    emotions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    history: dict[int, float] = field(
        default_factory=dict
    )  # song id -> interaction weight (+ for, - against)
    verbs: dict[int, str] = field(
        default_factory=dict
    )  # song id -> "liked", "rated 5", "played 4 times", ...
    library: frozenset[int] = frozenset()  # every song the user did anything with: never recommended

    @property
    def positives(self) -> list[int]:
        """Song ids that count for the user's taste, strongest first."""
        return [s for s, w in sorted(self.history.items(), key=lambda kv: -kv[1]) if w > 0]

    @property
    def sparse(self) -> dict[int, float]:
        """The positive history as a unit-length sparse vector {song id: weight}, as the users
        collection holds it (app/vectors/schema.py user_sparse)."""
        return user_sparse(self.history)


class CatalogData(Protocol):
    """The data engines read besides vectors (an SQL-backed one in the app, a dict in tests)."""

    def songs(self, ids: Iterable[int]) -> dict[int, SongInfo]:
        """{id: SongInfo} for the ids that exist."""

    def positives(self, user_ids: Iterable[int]) -> dict[int, dict[int, float]]:
        """{user id: {song id: weight in (0, 1]}} of each user's positive songs, strongest = 1."""

    def vectors(self, ids: Iterable[int]) -> dict[int, Vector]:
        """{id: float32 array} of the songs' dense vectors, for the ids that have one."""

    def popular(self, k: int, filters: Filters, exclude: Collection[int]) -> list[PopularItem]:
        """[(song id, score, reason)] of the k most popular songs passing filters, none in exclude."""

    def item_model(self) -> "ItemModel | None":
        """The item-to-item model (app.recommend.item_model.ItemModel), or None when there is none yet."""


def unit_rows(matrix: ArrayLike) -> Vector:
    """The rows scaled to unit length (float32), as a cosine collection stores them; zero rows stay zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # float32 / float32 stays float32; numpy's stubs widen the quotient to float64
    return cast(Vector, matrix / np.where(norms > 0, norms, 1.0).astype(np.float32))


def quote(song: SongInfo) -> str:
    """A song named the way reasons name it: 'Title' by Artist."""
    return f"'{song.title}' by {song.artist}"
