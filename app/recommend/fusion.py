"""For you: the component lists fused with fitted, evidence-weighted weights, then diversified by artist.

Each list contributes a feature per song: by rank, (rank_k + 1) / (rank_k + rank), so its first
song counts 1; or by score, its score min-max scaled within the list. A song's fused score is the
weighted sum of its features plus a popularity prior. The weights are fitted offline on a
validation split carved from training data (app/evaluation/tuning.py) and read from a small
versioned file (FusionParams.load); nothing here is guessed per request.

Evidence: what works for a listener with a long history (behaviour: collaborative, item-based)
is not what works for a newcomer (stated preferences, and the few songs they have). So there are
two sets of weights, each fitted on its own kind of validation user, blended for a user with n
positive songs as g * weights + (1 - g) * cold_weights with g = n / (n + evidence_half).
evidence_half = 0 means one global set of weights for everyone.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from ..vectors.base import VectorStore
from .items import NO_FILTERS, CatalogData, Filters, Recommendation, UserContext
from .plan import run_plans
from .registry import COMPONENTS, FOR_YOU, PLANS

APPROACH = FOR_YOU
PER_ARTIST = 2
DIVERSE_TOP = 10
CANDIDATES_PER_K = 3  # each list offers 3k songs: enough overlap for fusion to matter at k
PARAMS_FORMAT = 1


@dataclass(frozen=True)
class FusionParams:
    """How the lists are fused. The defaults are plain reciprocal rank fusion (RRF, k = 60)."""

    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 1.0))
    method: str = "rank"  # "rank" or "score"
    rank_k: float = 60.0  # RRF's constant: larger flattens the head of each list
    evidence_half: float = 0.0  # positives at which both sets count half; 0 = global weights
    popularity: float = 0.0  # weight of the song's popularity (0-1) among the fused candidates
    per_artist: int = PER_ARTIST  # songs of one artist allowed in the top DIVERSE_TOP
    cold_weights: dict[str, float] | None = None  # the weights for a user with no positives yet
    cold_popularity: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict, compare=False)  # where the numbers came from

    def user_weights(self, positives: int) -> tuple[dict[str, float], float]:
        """(list weights, popularity weight) for a user with this many positive songs."""
        if self.evidence_half <= 0 or self.cold_weights is None:
            return dict(self.weights), self.popularity
        g = evidence(positives, self.evidence_half)
        weights = {
            name: g * self.weights.get(name, 0.0) + (1 - g) * self.cold_weights.get(name, 0.0)
            for name in COMPONENTS
        }
        return weights, g * self.popularity + (1 - g) * self.cold_popularity

    def to_json(self) -> dict[str, Any]:
        """The file form: versioned, with the fit's provenance."""
        return {"format": PARAMS_FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "FusionParams":
        """Parse the file form; ValueError names what is wrong."""
        if data.get("format") != PARAMS_FORMAT:
            raise ValueError(f"fusion weights format {data.get('format')!r}, expected {PARAMS_FORMAT}")
        weights = _weights(data.get("weights", {}))
        cold = _weights(data["cold_weights"]) if data.get("cold_weights") is not None else None
        method = data.get("method", "rank")
        if method not in ("rank", "score"):
            raise ValueError(f"fusion method must be 'rank' or 'score', not {method!r}")
        per_artist = data.get("per_artist", PER_ARTIST)
        if isinstance(per_artist, bool) or not isinstance(per_artist, int) or per_artist < 1:
            raise ValueError(f"per_artist must be a whole number of at least 1, not {per_artist!r}")
        return cls(
            weights,
            method,
            float(data.get("rank_k", 60.0)),
            float(data.get("evidence_half", 0.0)),
            float(data.get("popularity", 0.0)),
            per_artist,
            cold,
            float(data.get("cold_popularity", 0.0)),
            dict(data.get("meta", {})),
        )

    @classmethod
    def load(cls, path: str | Path) -> "FusionParams":
        """Read a weights file written by `--tune`."""
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def save(self, path: str | Path) -> None:
        """Write the weights file."""
        Path(path).write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def with_(self, **changes: Any) -> "FusionParams":
        """A copy with some fields changed (used by the fitting)."""
        return replace(self, **changes)


@overload
def evidence(positives: float, half: float) -> float: ...
@overload
def evidence(positives: NDArray[np.float64], half: float) -> NDArray[np.float64]: ...
def evidence(positives: float | NDArray[np.float64], half: float) -> float | NDArray[np.float64]:
    """How far a user with this many positives (a number or an array) leans on the warm weights: 0 to 1."""
    return positives / (positives + half)


def _weights(raw: Mapping[str, Any]) -> dict[str, float]:
    """{list: weight} for every component (missing ones 0); ValueError for unknown lists or negatives."""
    weights = {name: float(w) for name, w in dict(raw).items()}
    if set(weights) - set(COMPONENTS) or any(w < 0 for w in weights.values()):
        raise ValueError(f"fusion weights must be >= 0 for {', '.join(COMPONENTS)}; got {weights}")
    return {**dict.fromkeys(COMPONENTS, 0.0), **weights}


DEFAULT_PARAMS = FusionParams()


def list_features(items: Sequence[Recommendation], method: str, rank_k: float) -> dict[int, float]:
    """{song id: feature in (0, 1]} of one ranked list: by rank, or by min-max scaled score."""
    if not items:
        return {}
    if method == "score":
        scores = [item.score for item in items]
        low, high = min(scores), max(scores)
        span = high - low
        # A list of equal scores says only "these"; each gets 1, as the head of a list would.
        return {item.song_id: (item.score - low) / span if span > 0 else 1.0 for item in items}
    return {item.song_id: (rank_k + 1.0) / (rank_k + rank) for rank, item in enumerate(items, start=1)}


def fuse(
    lists: Mapping[str, Sequence[Recommendation]],
    params: FusionParams,
    positives: int,
    popularity: Callable[[int], float] | None = None,
) -> list[Recommendation]:
    """Fuse {list name: [Recommendation]} into one ranked list.

    Each song keeps every list it came from, the one that contributed most first, and so its reason
    leads with that list's reason. popularity(song id) -> 0..1 feeds the popularity prior.
    """
    weights, prior = params.user_weights(positives)
    scores: defaultdict[int, float] = defaultdict(float)
    parts: defaultdict[int, dict[str, float]] = defaultdict(dict)
    reasons: dict[tuple[int, str], str] = {}
    for name, items in lists.items():
        weight = weights.get(name, 0.0)
        if weight <= 0 or not items:
            continue
        by_song = {item.song_id: item for item in items}
        for song_id, feature in list_features(items, params.method, params.rank_k).items():
            scores[song_id] += weight * feature
            parts[song_id][name] = weight * feature
            reasons.setdefault((song_id, name), by_song[song_id].reason)
    if prior > 0 and popularity is not None:
        for song_id in scores:
            scores[song_id] += prior * popularity(song_id)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    fused = []
    for song_id, score in ranked:
        sources = sorted(parts[song_id], key=lambda name: (-parts[song_id][name], name))
        text = " · ".join(dict.fromkeys(reasons[(song_id, name)] for name in sources))
        fused.append(Recommendation(song_id, score, APPROACH, text, tuple(sources)))
    return fused


def diversify(
    items: Iterable[Recommendation],
    artist_of: Callable[[int], Hashable],
    per_artist: int = PER_ARTIST,
    top: int = DIVERSE_TOP,
) -> list[Recommendation]:
    """Keep at most `per_artist` songs of one artist in the first `top`; the rest move down."""
    head: list[Recommendation] = []
    held: list[Recommendation] = []
    counts: defaultdict[Hashable, int] = defaultdict(int)
    for item in items:
        artist = artist_of(item.song_id)
        if len(head) < top and counts[artist] >= per_artist:
            held.append(item)
            continue
        head.append(item)
        counts[artist] += 1
    return head[:top] + held + head[top:]


def component_lists(
    ctx: UserContext,
    store: VectorStore,
    catalog: CatalogData,
    k: int,
    filters: Filters = NO_FILTERS,
    params: FusionParams = DEFAULT_PARAMS,
) -> dict[str, list[Recommendation]]:
    """{name: [Recommendation]} of every component this user weighs, each asked for CANDIDATES_PER_K * k.

    The engines run as plans, together: their searches go out in one batch per collection, and
    the songs they and the fusion need are read once (app/recommend/plan.py).
    """
    weights, _ = params.user_weights(len(ctx.positives))
    plans = {
        name: plan(ctx, catalog, k=k * CANDIDATES_PER_K, filters=filters)
        for name, plan in PLANS.items()
        if weights.get(name, 0.0) > 0
    }
    return run_plans(plans, store, catalog)


def for_you_recommendations(
    ctx: UserContext,
    store: VectorStore,
    catalog: CatalogData,
    k: int = 10,
    filters: Filters = NO_FILTERS,
    params: FusionParams = DEFAULT_PARAMS,
) -> list[Recommendation]:
    """The fused, artist-diversified list of the component engines' picks."""
    lists = component_lists(ctx, store, catalog, k, filters, params)
    candidates = {item.song_id for items in lists.values() for item in items}
    songs = catalog.songs(candidates)  # read with the lists' own songs (run_plans); SqlCatalog keeps them
    popularity = lambda song_id: songs[song_id].popularity / 100 if song_id in songs else 0.0  # noqa: E731
    fused = fuse(lists, params, len(ctx.positives), popularity)
    diverse = diversify(
        fused,
        lambda song_id: songs[song_id].artist if song_id in songs else song_id,
        per_artist=params.per_artist,
    )
    return diverse[:k]
