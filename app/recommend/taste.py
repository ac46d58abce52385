"""User taste vectors: what a user did with songs, blended with what they said they like.

How much each song weighs (interaction_weight) is app/vectors/schema.py's, as the users' sparse
vectors are built from the same weights.
"""

import numpy as np
from numpy.typing import ArrayLike

from .items import Vector

# A stated preference counts like this many positive songs; activity takes over as it grows.
PREFERENCE_PRIOR = 3.0
# Songs pushed against pull less than songs liked: a dislike says "not this", not "the opposite".
NEGATIVE_WEIGHT = 0.3


def _unit(vector: Vector) -> Vector | None:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else None


def taste_vector(
    song_vectors: ArrayLike, weights: ArrayLike, preference_vector: ArrayLike | None = None
) -> Vector | None:
    """A unit vector from song vectors and their weights, blended with a preference vector.

    Returns None when there is nothing to go on (no weighted songs and no preference).
    """
    weights = np.asarray(weights, dtype=np.float32)
    vectors = np.asarray(song_vectors, dtype=np.float32)
    positives, negatives = weights > 0, weights < 0
    n_pos, n_neg = int(positives.sum()), int(negatives.sum())
    share = n_pos / (n_pos + PREFERENCE_PRIOR)
    preference = None
    if preference_vector is not None:
        preference = _unit(np.asarray(preference_vector, dtype=np.float32))
    parts: list[Vector] = []
    if preference is not None:
        parts.append((1.0 - share) * preference if n_pos else preference)
    if n_pos:
        liked = _unit(weights[positives] @ vectors[positives])
        if liked is not None:
            parts.append((share if preference is not None else 1.0) * liked)
    if n_neg and parts:
        against = _unit(-weights[negatives] @ vectors[negatives])
        if against is not None:
            parts.append(-NEGATIVE_WEIGHT * n_neg / (n_neg + PREFERENCE_PRIOR) * against)
    if not parts:
        return None
    return _unit(np.sum(parts, axis=0))
