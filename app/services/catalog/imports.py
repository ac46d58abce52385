"""Importing Spotify CSV exports into the songs table: streamed, idempotent, atomic per batch.

Each batch is one transaction and one bulk statement. The songs of the batch that the table already
holds are read first (one indexed query), which says what will be inserted, updated (the row's hash
changed) or left unchanged, and leaves the unchanged ones out of the write. The rest go in at once:

- PostgreSQL: COPY into a temporary staging table, then one INSERT ... SELECT ... ON CONFLICT.
- SQLite (and any other database): one executemany of INSERT ... ON CONFLICT DO UPDATE.

Values are converted by the dialect's own bind processors, as SQLAlchemy would convert them, so the
stored rows are the ones the ORM writes. bench/import_songs.py measures both databases against
parsing alone. (Writing each batch in a background thread while the next was parsed made SQLite
slower, 5,200 against 6,000 rows/s, and PostgreSQL no faster, on this two-core machine: the parser
holds the GIL and the database's own work had no idle core to overlap with.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter

import sqlalchemy as sa

from ...extensions import db
from ...models import Song, utcnow
from ...spotify_csv.reader import ParsedRow, RowError, SpotifyCsv

MAX_REPORTED_ERRORS = 1000
STAGING = "songs_import"  # the PostgreSQL staging table: temporary, emptied at each commit
# The parser gives these as Python bool, float and int, which every driver binds as SQLAlchemy's
# processors would (they only coerce), so they are passed as they are: 10 calls a row fewer.
NATIVE_TYPES = (sa.Boolean, sa.Float, sa.Integer)
# JSON lists of names that repeat from song to song: each distinct list is serialised once.
REPEATING_LISTS = ("artists", "genres")
MEMO_LIMIT = 8192
# SQLite settings for the import's own connection, put back when it ends. The default 2 MB page
# cache and a checkpoint (with its fsync) at every 1,000 WAL pages, about once a batch, cost the
# writes of a 100,000-row import 98 us a row; 64 MB and 16,384 pages, 68 us (bench runs of 3).
SQLITE_IMPORT_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 16384}


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


def import_spotify_csv(path, limit=None, batch_size=1000, on_bytes=None, on_error=None) -> ImportSummary:
    """Upsert the songs of a Spotify CSV (either schema), `batch_size` rows per transaction."""
    summary = ImportSummary(path=str(path))
    with SpotifyCsv(path, on_bytes=on_bytes) as source, db.engine.connect() as conn:
        summary.schema = source.schema
        writer = BatchWriter(conn)
        try:
            batch = {}
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


def _skip(summary, error, on_error):
    summary.skip(error)
    if on_error:
        on_error(error)


def _write_batch(writer, items, summary, on_error):
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


def _count(summary, counts):
    # Counted only once the transaction committed, so the summary never claims lost rows.
    inserted, updated, unchanged = counts
    summary.inserted += inserted
    summary.updated += updated
    summary.unchanged += unchanged


def _memo_list(process):
    answers = {}

    def convert(value):
        key = tuple(value)
        try:
            return answers[key]
        except KeyError:
            answer = process(value)
            if len(answers) < MEMO_LIMIT:  # a bound, so memory stays flat on any file
                answers[key] = answer
            return answer

    return convert


def _reason(exc):
    return getattr(exc, "orig", None) or exc  # the driver's message, as SQLAlchemy wraps it


class BatchWriter:
    """Writes batches of parsed rows through one connection, one transaction per batch."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.table = Song.__table__
        dialect = conn.dialect
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        # COPY talks to psycopg directly, so its errors arrive unwrapped by SQLAlchemy.
        self.errors = (sa.exc.SQLAlchemyError, dialect.loaded_dbapi.Error)
        self.columns = None  # the song columns a record fills, known from the first record
        self._staged = False
        self._restore = {}
        if dialect.name == "sqlite":
            for name, value in SQLITE_IMPORT_PRAGMAS.items():
                self._restore[name] = conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
            conn.commit()

    def _prepare(self, record):
        dialect = self.conn.dialect
        columns = [c.name for c in self.table.columns if c.name in record]
        self._values = itemgetter(*columns)
        self._convert = []
        for i, name in enumerate(columns):
            column_type = self.table.c[name].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None and not isinstance(column_type, NATIVE_TYPES):
                self._convert.append((i, _memo_list(process) if name in REPEATING_LISTS else process))
        stamp = self.table.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._stamp = stamp or (lambda value: value)
        quote = dialect.identifier_preparer.quote
        self._names = ", ".join(quote(name) for name in columns)
        assignments = ", ".join(
            f"{quote(c)} = excluded.{quote(c)}" for c in (*columns, "updated_at") if c != "natural_key"
        )
        # Unchanged rows never get this far, but a concurrent import may have written the same song
        # since this batch read the table: only a different hash overwrites, as that read decides.
        self._on_conflict = (
            f"ON CONFLICT (natural_key) DO UPDATE SET {assignments} WHERE songs.row_hash <> excluded.row_hash"
        )
        if self.copy:
            # Created in a transaction of its own, so that a rolled-back batch does not drop it. Rows
            # up to 8 KB stay inline and uncompressed: TOAST compressing the lyrics of each staged
            # row tripled the COPY's server time (64 against 21 us a row).
            with self.conn.begin():
                self.conn.exec_driver_sql(
                    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} WITH (toast_tuple_target = 8160) "
                    f"ON COMMIT DELETE ROWS AS SELECT 0 AS position, {self._names} FROM songs WITH NO DATA"
                )
            self._staged = True
        self.columns = columns

    def upsert(self, items: list[ParsedRow]) -> tuple[int, int, int]:
        """Insert new songs and update changed ones in one transaction: (inserted, updated, unchanged)."""
        records = {item.record["natural_key"]: item for item in items}
        if self.columns is None:
            self._prepare(items[0].record)
        with self.conn.begin():
            existing = dict(
                self.conn.execute(
                    sa.select(self.table.c.natural_key, self.table.c.row_hash).where(
                        self.table.c.natural_key.in_(list(records))
                    )
                ).all()
            )
            rows = [item for key, item in records.items() if existing.get(key) != item.record["row_hash"]]
            if rows:
                (self._copy if self.copy else self._executemany)(rows, utcnow())
        inserted = sum(1 for item in rows if item.record["natural_key"] not in existing)
        return inserted, len(rows) - inserted, len(records) - len(rows)

    def _prepared(self, record):
        values = list(self._values(record))
        for i, process in self._convert:
            values[i] = process(values[i])
        return values

    def _executemany(self, items, now):
        stamp = self._stamp(now)
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        marks = ", ".join([mark] * (len(self.columns) + 2))
        self.conn.exec_driver_sql(
            f"INSERT INTO songs ({self._names}, created_at, updated_at) VALUES ({marks}) {self._on_conflict}",
            [(*self._prepared(item.record), stamp, stamp) for item in items],
        )

    def _copy(self, items, now):
        with self.conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {STAGING} (position, {self._names}) FROM STDIN") as copy:
                for position, item in enumerate(items):
                    copy.write_row((position, *self._prepared(item.record)))
            # In the batch's order, so that ids are given in the order SQLite gives them.
            cursor.execute(
                f"INSERT INTO songs ({self._names}, created_at, updated_at) SELECT {self._names}, "
                f"%(now)s, %(now)s FROM {STAGING} ORDER BY position {self._on_conflict}",
                {"now": now},
            )

    def close(self) -> None:
        """Drop the staging table and restore the settings: the pooled connection goes back as it came."""
        self.conn.rollback()
        if self._staged:
            with self.conn.begin():
                self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGING}")
        for name, value in self._restore.items():
            self.conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
        self.conn.commit()
