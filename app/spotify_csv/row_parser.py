"""A row parser compiled once per file: the same records as records.parse_row, in less time.

records.parse_row looks every cell up by header name and parses it from scratch: on the lyrics
sample, 159 us a row, 100 of them turning cells into values (the rest is the row hash and the
natural key). Here the column positions are resolved once, the cells that repeat (keys, dates,
lengths, yes/no flags, genres, whole percentages) are parsed once per distinct text, and numbers go
straight to float(): 21 us for the values, 90 us a row in all with the legacy JSON digest, 36 with
records.record_hasher's (best of 15 and of 7 runs, same process, on the shared two-core machine).
Anything unusual (a blank made of spaces, a decimal comma, any bad value) is handed to
records.parse_row, so that a row gives exactly the record, or the error message, that parse_row
gives: the fast path only ever succeeds on input whose answer it shares with parse_row
(tests/test_catalog_import.py checks every demo row and thousands of mutated rows of both schemas
against it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import cast

from . import parsing as p
from .fast_cells import emotion as parse_emotion
from .fast_cells import memo, number, percent, text, tracks_mode
from .fast_cells import popularity as parse_popularity
from .records import (
    LYRICS_FEATURES,
    TRACKS_FEATURES,
    Row,
    SimilarSong,
    SongRecord,
    header_index,
    natural_key,
    parse_row,
    record_hasher,
)
from .schemas import LYRICS_SCHEMA, normalise_header
from .vocab import ACTIVITY_FLAGS, FLAG_COLUMNS

# A row's cells and the None that parse() appends to stand for any column the file lacks.
Cells = list[str | None]


class RowParser:
    """Turns the cells of one row into a song record, or raises ValueError with parse_row's reason."""

    def __init__(self, schema: str, header: list[str]) -> None:
        self.schema = schema
        self._index = header_index(header)
        # A column the file lacks reads as None, as Row gives it: its position is the None that
        # parse() appends to every row.
        self._at = lambda name: self._index.get(normalise_header(name), len(header))
        self._bool = memo(p.parse_bool)
        self._popularity = memo(parse_popularity)
        self._time_signature = memo(p.parse_time_signature)
        self._loudness = memo(p.parse_loudness)
        self._hash: Callable[[Mapping[str, object]], str] | None = None
        self._fast: Callable[[Cells], dict[str, object]] = (
            self._lyrics if schema == LYRICS_SCHEMA else self._tracks
        )
        if schema == LYRICS_SCHEMA:
            self._prepare_lyrics()
        else:
            self._prepare_tracks()

    def parse(self, cells: list[str]) -> SongRecord:
        """The record of a row whose cell count matches the header."""
        # The casts only inform mypy (31 ns each, against the row's 15 to 45 us): the same list with
        # its None, and the record, which parse() completes below with the key and the digest.
        padded = cast(Cells, cells)
        padded.append(None)
        try:
            record: SongRecord | None = cast(SongRecord, self._fast(padded))
        except ValueError:
            record = None
        del padded[-1]
        if record is None:
            return parse_row(self.schema, Row(self._index, cells))  # the exact record, or reason
        if not record["title"] or not record["artist"]:
            raise ValueError("missing title" if not record["title"] else "missing artist")
        record["natural_key"] = natural_key(
            record["source_track_id"], record["artist"], record["title"], record["album"]
        )
        if self._hash is None:  # every record of a schema has the same keys
            self._hash = record_hasher(record)
        record["row_hash"] = self._hash(record)
        return record

    def _prepare_lyrics(self) -> None:
        at = self._at
        self._cells: Callable[[Cells], tuple[str | None, ...]] = itemgetter(
            *(
                at(h)
                for h in (
                    "Artist(s)",
                    "song",
                    "Album",
                    "Genre",
                    "text",
                    "emotion",
                    "Release Date",
                    "Key",
                    "Tempo",
                    "Loudness (db)",
                    "Time signature",
                    "Explicit",
                    "Popularity",
                    "Length",
                )
            )
        )
        self._features = [(column, at(header)) for column, header in LYRICS_FEATURES.items()]
        self._percent = memo(percent)  # whole percentages, mostly: about a hundred distinct cells
        self._flags = [(column, at(header)) for column, header in ACTIVITY_FLAGS.values()]
        self._similar = [
            (at(f"Similar Artist {n}"), at(f"Similar Song {n}"), at(f"Similarity Score {n}"))
            for n in (1, 2, 3)
        ]
        self._genres = memo(lambda v: [g.lower() for g in p.split_list(v, ",")])
        self._emotion = memo(parse_emotion)
        self._release = memo(p.parse_release_date)
        self._key = memo(p.parse_key)
        self._length = memo(p.parse_length)

    def _lyrics(self, c: Cells) -> dict[str, object]:
        (
            artists,
            title,
            album,
            genre,
            lyrics,
            emotion,
            released,
            key,
            tempo,
            loudness,
            signature,
            explicit,
            popularity,
            length,
        ) = self._cells(c)
        artists = p.split_list(artists, ",")
        genres = list(self._genres(genre))
        release_date, release_year = self._release(released)
        key, mode = self._key(key)
        record: dict[str, object] = {
            "artists": artists,
            "artist": ", ".join(artists) or None,
            "title": text(title),
            "album": text(album),
            "genres": genres,
            "genre": genres[0].lower() if genres else None,
            "source_track_id": None,
            "lyrics": (lyrics or "").strip() or None,
            "emotion": self._emotion(emotion),
            "release_date": release_date,
            "release_year": release_year,
            "key": key,
            "mode": mode,
            "tempo": number(tempo, 0, 400),
            "loudness": self._loudness(loudness),
            "time_signature": self._time_signature(signature),
            "explicit": self._bool(explicit),
            "popularity": self._popularity(popularity),
            "duration_s": self._length(length),
            "similar_songs": self._similar_songs(c),
        }
        share = self._percent
        for column, i in self._features:
            record[column] = share(c[i])
        for column, i in self._flags:
            record[column] = self._bool(c[i])
        return record  # every SongRecord key but natural_key and row_hash

    def _similar_songs(self, c: Cells) -> list[SimilarSong]:
        similar: list[SimilarSong] = []
        for artist_at, title_at, score_at in self._similar:
            artist, title = text(c[artist_at]), text(c[title_at])
            if artist and title:
                cell = c[score_at]
                score: float | None
                if cell:
                    score = float(cell)
                    if not math.isfinite(score):
                        raise ValueError(score)
                else:
                    score = None
                similar.append({"artist": artist, "title": title, "score": score})
        return similar

    def _prepare_tracks(self) -> None:
        at = self._at
        self._cells = itemgetter(
            *(
                at(h)
                for h in (
                    "artists",
                    "track_name",
                    "album_name",
                    "track_genre",
                    "track_id",
                    "key",
                    "mode",
                    "tempo",
                    "loudness",
                    "time_signature",
                    "explicit",
                    "popularity",
                    "duration_ms",
                    "duration_min_sec",
                )
            )
        )
        self._features = [(column, at(header)) for column, header in TRACKS_FEATURES.items()]
        self._genres = memo(lambda v: [g.lower() for g in p.split_list(v, ",")])
        self._pitch = memo(p.parse_pitch_class)
        self._mode = memo(tracks_mode)
        self._length = memo(lambda v: p.parse_length(v, "duration_min_sec"))
        self._ms = memo(p.parse_duration_ms)

    def _tracks(self, c: Cells) -> dict[str, object]:
        (
            artists,
            title,
            album,
            genre,
            track_id,
            key,
            mode,
            tempo,
            loudness,
            signature,
            explicit,
            popularity,
            ms,
            min_sec,
        ) = self._cells(c)
        artists = p.split_list(artists, ";")
        genres = list(self._genres(genre))
        record: dict[str, object] = {
            "artists": artists,
            "artist": ", ".join(artists) or None,
            "title": text(title),
            "album": text(album),
            "genres": genres,
            "genre": genres[0].lower() if genres else None,
            "source_track_id": text(track_id),
            "lyrics": None,
            "emotion": None,
            "release_date": None,
            "release_year": None,
            "key": self._pitch(key),
            "mode": self._mode(mode),
            "tempo": number(tempo, 0, 400),
            "loudness": self._loudness(loudness),
            "time_signature": self._time_signature(signature),
            "explicit": self._bool(explicit),
            "popularity": self._popularity(popularity),
            "duration_s": self._ms(ms) if ms is not None else self._length(min_sec),
            "similar_songs": [],
        }
        for column, i in self._features:
            record[column] = number(c[i], 0, 1)
        for column in FLAG_COLUMNS:
            record[column] = None
        return record  # every SongRecord key but natural_key and row_hash
