"""Importing Spotify CSV exports into the songs table: streamed, idempotent, atomic per batch."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..catalog.reader import RowError, SpotifyCsv
from ..extensions import db
from ..models import Song, utcnow

MAX_REPORTED_ERRORS = 1000


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
    errors: list = field(default_factory=list)

    def skip(self, error):
        """Count a skipped row and keep its report."""
        self.skipped += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def __str__(self):
        return (
            f"read {self.read} · inserted {self.inserted} · updated {self.updated} · "
            f"unchanged {self.unchanged} · merged duplicates {self.merged} · skipped {self.skipped}"
        )


def import_spotify_csv(path, limit=None, batch_size=1000, on_bytes=None, on_error=None):
    """Upsert the songs of a Spotify CSV (either schema), `batch_size` rows per transaction."""
    summary = ImportSummary(path=str(path))
    with SpotifyCsv(path, on_bytes=on_bytes) as source:
        summary.schema = source.schema
        batch = {}
        for item in source:
            if limit is not None and summary.read >= limit:
                break
            summary.read += 1
            if isinstance(item, RowError):
                summary.skip(item)
                if on_error:
                    on_error(item)
                continue
            key = item.record["natural_key"]
            if key in batch:
                summary.merged += 1
            batch[key] = item
            if len(batch) >= batch_size:
                _write_batch(batch, summary, on_error)
                batch = {}
        if batch:
            _write_batch(batch, summary, on_error)
    return summary


def _write_batch(batch, summary, on_error):
    try:
        _upsert(list(batch.values()), summary)
    except sa.exc.SQLAlchemyError:
        # One bad row must not cost the whole batch: retry row by row and report the rejects.
        for item in batch.values():
            try:
                _upsert([item], summary)
            except sa.exc.SQLAlchemyError as exc:
                error = RowError(item.line, f"database rejected the row: {exc.orig or exc}")
                summary.skip(error)
                if on_error:
                    on_error(error)


def _upsert(items, summary):
    table = Song.__table__
    records = {item.record["natural_key"]: item.record for item in items}
    now = utcnow()
    with db.engine.begin() as conn:
        existing = {
            key: (song_id, row_hash)
            for key, song_id, row_hash in conn.execute(
                sa.select(table.c.natural_key, table.c.id, table.c.row_hash).where(
                    table.c.natural_key.in_(list(records))
                )
            )
        }
        inserts, updates, unchanged = [], [], 0
        for key, record in records.items():
            if key not in existing:
                inserts.append({**record, "created_at": now, "updated_at": now})
            elif existing[key][1] != record["row_hash"]:
                row = {**record, "updated_at": now}
                # Bind names must differ from column names in an UPDATE ... SET.
                updates.append({"b_" + k: v for k, v in row.items()} | {"song_id": existing[key][0]})
            else:
                unchanged += 1
        if inserts:
            conn.execute(table.insert(), inserts)
        if updates:
            columns = [c[2:] for c in updates[0] if c != "song_id"]
            statement = (
                table.update()
                .where(table.c.id == sa.bindparam("song_id"))
                .values({c: sa.bindparam("b_" + c) for c in columns})
            )
            conn.execute(statement, updates)
    # Counted only once the transaction committed, so the summary never claims lost rows.
    summary.inserted += len(inserts)
    summary.updated += len(updates)
    summary.unchanged += unchanged
