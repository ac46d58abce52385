"""Streaming a Spotify CSV export row by row, with line numbers for every problem found."""

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Self

from .records import SongRecord
from .row_parser import RowParser
from .schemas import detect_schema

# Lyrics can be long; a runaway quoted field still stops at this size instead of eating the file.
csv.field_size_limit(8 * 1024 * 1024)


@dataclass(frozen=True)
class RowError:
    """A row that was skipped: the line it starts on and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ParsedRow:
    """A row that parsed: the line it starts on and its song record."""

    line: int
    record: SongRecord


class SpotifyCsv:
    """An open Spotify CSV: its schema, and an iterator of ParsedRow / RowError in file order."""

    def __init__(self, path: str | os.PathLike[str], on_bytes: Callable[[int], object] | None = None) -> None:
        self.path = os.fspath(path)
        self.size = os.path.getsize(self.path)
        self._on_bytes = on_bytes
        self._bad_lines: set[int] = set()
        self._file = open(self.path, "rb")  # noqa: SIM115 - the reader owns it; close() and __exit__ close it
        self._reader = csv.reader(self._decoded_lines())
        try:
            self.header = next(self._reader)
        except StopIteration:
            self.close()
            raise ValueError(f"{self.path} is empty: no header row") from None
        except csv.Error as exc:
            self.close()
            raise ValueError(f"{self.path}: unreadable header: {exc}") from None
        try:
            self.schema = detect_schema(self.header)
        except ValueError:
            self.close()
            raise
        self._parser = RowParser(self.schema, self.header)

    def _decoded_lines(self) -> Iterator[str]:
        # Decoding line by line (not the whole stream) lets one bad byte cost one row, not the file.
        for number, raw in enumerate(self._file, start=1):
            if self._on_bytes is not None:
                self._on_bytes(len(raw))
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self._bad_lines.add(number)
                yield raw.decode("utf-8", "replace")

    def __iter__(self) -> Iterator[ParsedRow | RowError]:
        width = len(self.header)
        parse = self._parser.parse
        last_line = self._reader.line_num
        while True:
            start = last_line + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last_line = self._reader.line_num
                yield RowError(start, f"malformed CSV ({exc})")
                continue
            last_line = self._reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if self._bad_lines and any(n in self._bad_lines for n in range(start, last_line + 1)):
                yield RowError(start, "undecodable bytes (the file must be UTF-8)")
                continue
            if len(cells) != width:
                yield RowError(start, f"wrong column count: {len(cells)} instead of {width}")
                continue
            try:
                yield ParsedRow(start, parse(cells))
            except ValueError as exc:
                yield RowError(start, str(exc))

    def close(self) -> None:
        """Close the underlying file."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
