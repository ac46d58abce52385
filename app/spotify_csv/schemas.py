"""The two Spotify CSV schemas songs are imported from, and detection from a header row."""

from collections.abc import Sequence

from .vocab import ACTIVITY_FLAGS

LYRICS_SCHEMA = "lyrics_emotion"
TRACKS_SCHEMA = "tracks"

# "Spotify songs with lyrics and emotion" (Kaggle, devdope), in file order.
LYRICS_HEADER = (
    "Artist(s)",
    "song",
    "text",
    "Length",
    "emotion",
    "Genre",
    "Album",
    "Release Date",
    "Key",
    "Tempo",
    "Loudness (db)",
    "Time signature",
    "Explicit",
    "Popularity",
    "Energy",
    "Danceability",
    "Positiveness",
    "Speechiness",
    "Liveness",
    "Acousticness",
    "Instrumentalness",
    *(header for _, header in ACTIVITY_FLAGS.values()),
    "Similar Artist 1",
    "Similar Song 1",
    "Similarity Score 1",
    "Similar Artist 2",
    "Similar Song 2",
    "Similarity Score 2",
    "Similar Artist 3",
    "Similar Song 3",
    "Similarity Score 3",
)

# "Spotify tracks dataset" (Kaggle, 114k tracks); upstream has duration_ms, exports may
# carry duration_min_sec instead, and pandas dumps add an unnamed index column.
TRACKS_REQUIRED = ("track_id", "artists", "track_name")


def normalise_header(name: str) -> str:
    """Return a header cell in the form used for matching (trimmed, lower case, no BOM)."""
    return name.replace("\ufeff", "").strip().lower()


LYRICS_REQUIRED = tuple(normalise_header(h) for h in ("Artist(s)", "song"))


class SchemaError(ValueError):
    """The file's header matches neither known schema."""


def detect_schema(header: Sequence[str]) -> str:
    """Return LYRICS_SCHEMA or TRACKS_SCHEMA for a header row, or raise SchemaError."""
    names = {normalise_header(h) for h in header}
    if all(name in names for name in LYRICS_REQUIRED):
        return LYRICS_SCHEMA
    if all(name in names for name in TRACKS_REQUIRED):
        return TRACKS_SCHEMA
    raise SchemaError(
        "unrecognised CSV header: expected the lyrics+emotion schema "
        "(columns 'Artist(s)', 'song', ...) or the tracks schema "
        "(columns 'track_id', 'artists', 'track_name', ...); got "
        + ", ".join(repr(h) for h in list(header)[:8])
    )
