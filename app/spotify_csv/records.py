"""Turning one CSV row of either Spotify schema into a normalised song record."""

import datetime as dt
import hashlib
import json
import marshal
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TypedDict, cast

from . import parsing as p
from .schemas import LYRICS_SCHEMA, normalise_header
from .vocab import ACTIVITY_FLAGS, EMOTIONS, FLAG_COLUMNS

# Audio feature column -> its header in each schema; row_parser.py reads them too.
LYRICS_FEATURES = {
    "energy": "Energy",
    "danceability": "Danceability",
    "valence": "Positiveness",
    "speechiness": "Speechiness",
    "liveness": "Liveness",
    "acousticness": "Acousticness",
    "instrumentalness": "Instrumentalness",
}
TRACKS_FEATURES = {name: name for name in LYRICS_FEATURES}
TRACKS_FEATURES["valence"] = "valence"


class SimilarSong(TypedDict):
    """One of the lyrics schema's similar songs, as Song.similar_songs stores it."""

    artist: str
    title: str
    score: float | None


class SongRecord(TypedDict):
    """A song parsed from one row, as the import writes it: the Song columns a record fills."""

    natural_key: str  # the identity the song is upserted by (natural_key())
    row_hash: str  # the digest of every other value (record_hasher())
    artists: list[str]
    artist: str  # the parsers refuse a row without an artist or a title
    title: str
    album: str | None
    genres: list[str]
    genre: str | None
    source_track_id: str | None
    lyrics: str | None
    emotion: str | None
    release_date: dt.date | None
    release_year: int | None
    key: int | None
    mode: int | None
    tempo: float | None
    loudness: float | None
    time_signature: int | None
    explicit: bool | None
    popularity: int | None
    duration_s: int | None
    similar_songs: list[SimilarSong]
    # The audio features (vocab.AUDIO_FEATURES) and activity flags (vocab.FLAG_COLUMNS), which the
    # parsers fill in loops over those names: mypy cannot follow them, so each parser casts its dict
    # to this type (tests/test_catalog_import.py checks the records against it).
    energy: float | None
    danceability: float | None
    valence: float | None
    speechiness: float | None
    liveness: float | None
    acousticness: float | None
    instrumentalness: float | None
    good_for_party: bool | None
    good_for_work_study: bool | None
    good_for_relaxation: bool | None
    good_for_exercise: bool | None
    good_for_running: bool | None
    good_for_yoga: bool | None
    good_for_driving: bool | None
    good_for_social: bool | None
    good_for_morning: bool | None


class Row:
    """Cells of one CSV row, looked up by header name whatever its case."""

    __slots__ = ("_cells", "_index")

    def __init__(self, index: Mapping[str, int], cells: Sequence[str]) -> None:
        self._index = index
        self._cells = cells

    def __getitem__(self, name: str) -> str | None:
        position = self._index.get(normalise_header(name))
        return None if position is None else self._cells[position]


def header_index(header: Iterable[str]) -> dict[str, int]:
    """Map normalised header names to their column positions."""
    return {normalise_header(name): position for position, name in enumerate(header)}


def normalise_key_part(text: str | None) -> str:
    """Fold a name for matching duplicates: Unicode-normalised, case-folded, single-spaced."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def natural_key(track_id: str | None, artist: str | None, title: str | None, album: str | None) -> str:
    """The identity a song is upserted by: the source track id, else artist + title + album."""
    if track_id:
        return "track:" + track_id
    joined = "\x1f".join(normalise_key_part(part) for part in (artist, title, album))
    return "song:" + hashlib.sha1(joined.encode("utf-8")).hexdigest()


# Digests of one format start with its version; a stored digest without it is the legacy format.
HASH_VERSION = "2:"
# marshal's version 2 writes floats in binary and never writes a back-reference to an object it
# has seen before (version 3 does, for strings among others), so equal records always give equal
# bytes. A hex digest cut to 38 characters keeps the version inside the column's 40 (152 bits).
_MARSHAL_VERSION = 2
_DIGEST_CHARS = 40 - len(HASH_VERSION)
_DATE_FIELDS = frozenset({"release_date"})  # the values marshal cannot write: as text, as JSON had them


def record_hasher(keys: Iterable[str]) -> Callable[[Mapping[str, object]], str]:
    """record_hash for records that all have exactly `keys`, with the sorting done once.

    The content is the record's values in sorted key order, marshalled: 9 us a lyrics row against
    44 us for the legacy JSON text (sorted keys, floats written as text; the same 2,000 rows, best of
    5, same process). The key names are hashed once, up front. Nested dicts (similar_songs) are
    marshalled in their insertion order, which both parsers give alike.
    """
    names = tuple(sorted(keys))
    values = itemgetter(*names) if len(names) > 1 else lambda record: tuple(record[k] for k in names)
    dates = [i for i, name in enumerate(names) if name in _DATE_FIELDS]
    start = hashlib.sha1(marshal.dumps(names, _MARSHAL_VERSION))

    def digest(record: Mapping[str, object]) -> str:
        content = values(record)
        if dates:
            content = list(content)
            for i in dates:
                if content[i] is not None:
                    content[i] = str(content[i])
        h = start.copy()
        h.update(marshal.dumps(content, _MARSHAL_VERSION))
        return HASH_VERSION + h.hexdigest()[:_DIGEST_CHARS]

    return digest


def record_hash(record: Mapping[str, object]) -> str:
    """A digest of a record's content, so an unchanged re-import can be recognised cheaply."""
    return record_hasher(record)(record)


def is_legacy_hash(digest: str) -> bool:
    """True for a digest stored before HASH_VERSION (legacy_record_hash's format)."""
    return not digest.startswith(HASH_VERSION)


# The legacy digest's text must never change: it is what songs imported before HASH_VERSION hold,
# and an import recognises them as unchanged by it. json.dumps(record, sort_keys=True, default=str,
# ensure_ascii=False), the encoder built once instead of on every call.
_HASHED_JSON = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False).encode


def legacy_record_hash(record: Mapping[str, object]) -> str:
    """The digest songs were stored with before HASH_VERSION: SHA-1 of the record as JSON."""
    return hashlib.sha1(_HASHED_JSON(record).encode("utf-8")).hexdigest()


def parse_row(schema: str, row: Row) -> SongRecord:
    """Build a song record (a dict of Song columns) from a Row; raises ValueError with a reason."""
    # The dict holds every SongRecord key but the identity and the digest, added to it just below.
    record = cast(SongRecord, _parse_lyrics(row) if schema == LYRICS_SCHEMA else _parse_tracks(row))
    if not record["title"]:
        raise ValueError("missing title")
    if not record["artist"]:
        raise ValueError("missing artist")
    record["natural_key"] = natural_key(
        record["source_track_id"], record["artist"], record["title"], record["album"]
    )
    record["row_hash"] = record_hash(record)
    return record


def _common(artists: list[str], title: str | None, album: str | None, genres: list[str]) -> dict[str, object]:
    return {
        "artists": artists,
        "artist": ", ".join(artists) or None,
        "title": p.clean_text(title),
        "album": p.clean_text(album),
        "genres": genres,
        "genre": genres[0].lower() if genres else None,
    }


def _parse_lyrics(row: Row) -> dict[str, object]:
    genres = [g.lower() for g in p.split_list(row["Genre"], ",")]
    record = _common(p.split_list(row["Artist(s)"], ","), row["song"], row["Album"], genres)
    release_date, release_year = p.parse_release_date(row["Release Date"])
    key, mode = p.parse_key(row["Key"])
    emotion = p.clean_text(row["emotion"])
    if emotion is not None:
        emotion = emotion.lower()
        if emotion not in EMOTIONS:
            raise ValueError(f"unknown emotion {row['emotion']!r} (expected one of {', '.join(EMOTIONS)})")
    record.update(
        source_track_id=None,
        lyrics=(row["text"] or "").strip() or None,
        emotion=emotion,
        release_date=release_date,
        release_year=release_year,
        key=key,
        mode=mode,
        tempo=p.parse_ranged(row["Tempo"], "Tempo", 0, 400),
        loudness=p.parse_loudness(row["Loudness (db)"]),
        time_signature=p.parse_time_signature(row["Time signature"]),
        explicit=p.parse_bool(row["Explicit"], "Explicit"),
        popularity=_popularity(row["Popularity"], "Popularity"),
        duration_s=p.parse_length(row["Length"]),
        similar_songs=_similar_songs(row),
    )
    for column, header in LYRICS_FEATURES.items():
        record[column] = p.parse_fraction(row[header], header, percent=True)
    for column, header in ACTIVITY_FLAGS.values():
        record[column] = p.parse_bool(row[header], header)
    return record  # every SongRecord key but natural_key and row_hash


def _parse_tracks(row: Row) -> dict[str, object]:
    genres = [g.lower() for g in p.split_list(row["track_genre"], ",")]
    record = _common(p.split_list(row["artists"], ";"), row["track_name"], row["album_name"], genres)
    if row["duration_ms"] is not None:
        duration = p.parse_duration_ms(row["duration_ms"])
    else:
        duration = p.parse_length(row["duration_min_sec"], "duration_min_sec")
    mode = p.parse_int(row["mode"], "mode")
    if mode not in (None, 0, 1):
        raise ValueError(f"mode out of range 0-1: {row['mode']!r}")
    record.update(
        source_track_id=p.clean_text(row["track_id"]),
        lyrics=None,
        emotion=None,
        release_date=None,
        release_year=None,
        key=p.parse_pitch_class(row["key"]),
        mode=mode,
        tempo=p.parse_ranged(row["tempo"], "tempo", 0, 400),
        loudness=p.parse_loudness(row["loudness"], "loudness"),
        time_signature=p.parse_time_signature(row["time_signature"], "time_signature"),
        explicit=p.parse_bool(row["explicit"], "explicit"),
        popularity=_popularity(row["popularity"], "popularity"),
        duration_s=duration,
        similar_songs=[],
    )
    for column, header in TRACKS_FEATURES.items():
        record[column] = p.parse_fraction(row[header], header, percent=False)
    for column in FLAG_COLUMNS:
        record[column] = None  # this schema has no activity flags: unknown, not "no"
    return record  # every SongRecord key but natural_key and row_hash


def _popularity(value: str | None, label: str) -> int | None:
    number = p.parse_ranged(value, label, 0, 100)
    return None if number is None else round(number)


def _similar_songs(row: Row) -> list[SimilarSong]:
    similar: list[SimilarSong] = []
    for n in (1, 2, 3):
        artist = p.clean_text(row[f"Similar Artist {n}"])
        title = p.clean_text(row[f"Similar Song {n}"])
        if artist and title:
            score = p.parse_float(row[f"Similarity Score {n}"], f"Similarity Score {n}")
            similar.append({"artist": artist, "title": title, "score": score})
    return similar
