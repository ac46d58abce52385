"""Importing Spotify CSV exports into the songs table: streamed, idempotent, atomic per batch.

The file is read row by row; rows go to the database in batches of distinct songs, each batch one
transaction written by BatchWriter (writer.py). A batch the database refuses is retried row
by row, so one bad row costs only itself, reported with its line number like a row the parser
refused.

Parsing and writing share one process. Neither a thread nor a process overlapping them paid off on
the two shared cores this was measured on: writing each batch in a background thread made SQLite
slower (5,200 against 6,000 rows/s; the parser holds the GIL), and parsing in a worker process that
sent the parsed rows back pickled made the 100,000-row lyrics import slower on both databases
(SQLite 3,100 against 5,300 rows/s, PostgreSQL 2,400 against 3,500): this process still spent 116
of its 141 us a row, receiving the rows costing it most of what parsing had, and the worker's own
89 us a row had no idle core to run on. Nor did a background writer on PostgreSQL, whose server
does half the work (100,000 rows, same run: lyrics 6,900 against 6,700 rows/s, tracks 14,000
against 14,300): COPY streams each row to the server as it is encoded, so the server already works
while this process does, and the thread added 27 us a lyrics row of this process's CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ...extensions import db
from ...spotify_csv.reader import ParsedRow, RowError, SpotifyCsv
from .writer import BatchWriter

MAX_REPORTED_ERRORS = 1000

OnError = Callable[[RowError], object]  # told of each skipped row as it is skipped


@dataclass
class ImportSummary:
    """What an import did; `errors` keeps the first MAX_REPORTED_ERRORS skipped rows."""

    path: str = ""
    schema: str = ""
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # rows repeating a song seen earlier in the same batch
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    def skip(self, error: RowError) -> None:
        """Count a skipped row and keep its report."""
        self.skipped += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def __str__(self) -> str:
        return (
            f"read {self.read} · inserted {self.inserted} · updated {self.updated} · "
            f"unchanged {self.unchanged} · merged duplicates {self.merged} · skipped {self.skipped}"
        )


def import_spotify_csv(
    path: str | os.PathLike[str],
    limit: int | None = None,
    batch_size: int = 1000,
    on_bytes: Callable[[int], object] | None = None,
    on_error: OnError | None = None,
) -> ImportSummary:
    """Upsert the songs of a Spotify CSV (either schema), `batch_size` rows per transaction."""
    summary = ImportSummary(path=str(path))
    with SpotifyCsv(path, on_bytes=on_bytes) as source, db.engine.connect() as conn:
        summary.schema = source.schema
        writer = BatchWriter(conn)
        try:
            batch: dict[str, ParsedRow] = {}
            for item in source:
                if limit is not None and summary.read >= limit:
                    break
                summary.read += 1
                if isinstance(item, RowError):
                    _skip(summary, item, on_error)
                    continue
                key = item.record["natural_key"]
                if key in batch:
                    summary.merged += 1
                batch[key] = item
                if len(batch) >= batch_size:
                    _write_batch(writer, list(batch.values()), summary, on_error)
                    batch = {}
            if batch:
                _write_batch(writer, list(batch.values()), summary, on_error)
        finally:
            writer.close()
    return summary


def _skip(summary: ImportSummary, error: RowError, on_error: OnError | None) -> None:
    summary.skip(error)
    if on_error:
        on_error(error)


def _write_batch(
    writer: BatchWriter, items: list[ParsedRow], summary: ImportSummary, on_error: OnError | None
) -> None:
    try:
        counts = writer.upsert(items)
    except writer.errors:
        # One bad row must not cost the whole batch: retry row by row and report the rejects.
        for item in items:
            try:
                _count(summary, writer.upsert([item]))
            except writer.errors as exc:
                _skip(summary, RowError(item.line, f"database rejected the row: {_reason(exc)}"), on_error)
    else:
        _count(summary, counts)


def _count(summary: ImportSummary, counts: tuple[int, int, int]) -> None:
    # Counted only once the transaction committed, so the summary never claims lost rows.
    inserted, updated, unchanged = counts
    summary.inserted += inserted
    summary.updated += updated
    summary.unchanged += unchanged


def _reason(exc: Exception) -> object:
    return getattr(exc, "orig", None) or exc  # the driver's message, as SQLAlchemy wraps it
