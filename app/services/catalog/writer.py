"""Writing a batch of parsed songs in one transaction and one bulk statement per kind of change.

The songs of the batch that the table already holds are read first (one indexed query), which says
what will be inserted, updated (the row's digest changed) or left unchanged, and leaves the
unchanged ones out of the write. The rest go in at once:

- PostgreSQL (psycopg): new songs by COPY, in binary, straight into the table; changed ones by COPY
  into a temporary staging table, then one INSERT ... SELECT ... ON CONFLICT.
- SQLite: INSERT for new songs, and INSERT ... ON CONFLICT DO UPDATE for changed ones, each
  statement carrying up to SQLITE_ROWS_PER_STATEMENT rows. Any other database: one executemany of
  each.

Values are converted by the dialect's own bind processors, as SQLAlchemy would convert them, so the
stored rows are the ones the ORM writes. bench/import_songs.py measures both databases against
parsing alone.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa

from ...models import Song, utcnow
from ...spotify_csv.reader import ParsedRow
from ...spotify_csv.records import SongRecord, is_legacy_hash, legacy_record_hash

if TYPE_CHECKING:  # COPY is psycopg's own API; the module is only imported on PostgreSQL
    from psycopg import Connection, Cursor

STAGING = "songs_import"  # the PostgreSQL staging table: temporary, emptied at each commit
# The parser gives these as Python bool, float and int, which every driver binds as SQLAlchemy's
# processors would (they only coerce), so they are passed as they are: 10 calls a row fewer.
NATIVE_TYPES = (sa.Boolean, sa.Float, sa.Integer)
# JSON lists of names that repeat from song to song: each distinct list is serialised once.
REPEATING_LISTS = ("artists", "genres")
MEMO_LIMIT = 8192
# A song stored unchanged under the legacy digest (before records.HASH_VERSION) gets the current
# one, once, so that later imports compare digests only; its content and updated_at stay as they are.
REHASH = sa.text("UPDATE songs SET row_hash = :new WHERE natural_key = :key AND row_hash = :old")
# SQLite settings for the import's own connection, put back when it ends. The default 2 MB page
# cache and a checkpoint (with its fsync) at every 1,000 WAL pages, about once a batch, cost the
# writes of a 100,000-row import 98 us a row; 64 MB and 16,384 pages, 68 us (bench runs of 3).
SQLITE_IMPORT_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 16384}
# Rows per INSERT statement on SQLite. The triggers that keep song search's FTS5 index (migration
# 3e5a1c7d9b42) make FTS5 write its pending index out at the end of each statement: one row a
# statement cost 80 us a row more than no index, 100 rows a statement 22, 500 the same (SQLite
# alone, 50,000 rows of 2 KB); without the index all cost the same. The 100,000-row lyrics import:
# 382 us CPU a row one row a statement, 236-258 with 100, 168-194 before the index (README). Fewer
# when SQLite allows fewer parameters (999 before 3.32).
SQLITE_ROWS_PER_STATEMENT = 100
# PostgreSQL compresses lyrics over about 2 KB as it stores them (half the songs of the sample).
# lz4 (PostgreSQL 14+, when built with it) reads back the same and costs the server far less than
# the default pglz: storing the replicated lyrics took 21 against 55 us a row (100,000 rows, best of
# 3), for 4% more space. The import's own connection uses it where the server offers it.
LZ4_AVAILABLE = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
LZ4_SETTING = "SHOW default_toast_compression"
# COPY in binary skips formatting and parsing every value as text (client 8 against 20 us a lyrics
# row); it needs each column's type, read from the catalog.
COLUMN_TYPES = (
    "SELECT attname, atttypid::int FROM pg_attribute "
    "WHERE attrelid = 'songs'::regclass AND attnum > 0 AND NOT attisdropped"
)
JSON_OID, TEXT_OID, INT4_OID = 114, 25, 23
STAMPS = ("created_at", "updated_at")

Bound = TypeVar("Bound")  # what a bind processor gives for a value
Item = TypeVar("Item")
# A column's bind processor, as SQLAlchemy types it: what it takes and gives depends on the column's
# type and on the driver, so Any.
BindProcess = Callable[[Any], Any]


def _memo_list(process: Callable[[list[str]], Bound]) -> Callable[[list[str]], Bound]:
    answers: dict[tuple[str, ...], Bound] = {}

    def convert(value: list[str]) -> Bound:
        key = tuple(value)
        try:
            return answers[key]
        except KeyError:
            answer = process(value)
            if len(answers) < MEMO_LIMIT:  # a bound, so memory stays flat on any file
                answers[key] = answer
            return answer

    return convert


def _empty_once(process: Callable[[list[Item]], Bound]) -> Callable[[list[Item]], Bound]:
    empty = process([])
    return lambda value: empty if value == [] else process(value)


def _sort_out(
    records: dict[str, ParsedRow], existing: dict[str, str]
) -> tuple[list[ParsedRow], list[ParsedRow], list[dict[str, str]]]:
    """The batch's new songs, its changed songs, and the REHASH parameters of the songs stored
    unchanged under a legacy digest, whose digest is brought up to date without touching the song."""
    new: list[ParsedRow] = []
    changed: list[ParsedRow] = []
    rehashed: list[dict[str, str]] = []
    for key, item in records.items():
        stored = existing.get(key)
        digest = item.record["row_hash"]
        if stored is None:
            new.append(item)
        elif stored == digest:
            continue
        elif is_legacy_hash(stored) and stored == _legacy_digest(item.record):
            rehashed.append({"key": key, "old": stored, "new": digest})
        else:
            changed.append(item)
    return new, changed, rehashed


def _legacy_digest(record: SongRecord) -> str:
    return legacy_record_hash({name: value for name, value in record.items() if name != "row_hash"})


class BatchWriter:
    """Writes batches of parsed rows through one connection, one transaction per batch."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.table = Song.__table__
        dialect = conn.dialect
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        # COPY talks to psycopg directly, so its errors arrive unwrapped by SQLAlchemy.
        self.errors: tuple[type[Exception], ...] = (sa.exc.SQLAlchemyError, dialect.loaded_dbapi.Error)
        # The song columns a record fills, known from the first record.
        self.columns: list[str] | None = None
        self._staged = False
        self._restore: list[str] = []  # statements that put the connection's settings back
        settings = SQLITE_IMPORT_PRAGMAS.items() if dialect.name == "sqlite" else ()
        for name, value in settings:
            self._restore.append(
                f"PRAGMA {name} = {int(conn.exec_driver_sql(f'PRAGMA {name}').scalar_one())}"
            )
            conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
        if self.copy and conn.exec_driver_sql(LZ4_AVAILABLE).scalar():
            self._restore.append(
                f"SET default_toast_compression = {conn.exec_driver_sql(LZ4_SETTING).scalar()}"
            )
            conn.exec_driver_sql("SET default_toast_compression = lz4")
        conn.commit()

    def _prepare(self, record: SongRecord) -> None:
        dialect = self.conn.dialect
        columns = [c.name for c in self.table.columns if c.name in record]
        self._values: Callable[[SongRecord], tuple[object, ...]] = itemgetter(*columns)
        self._convert: list[tuple[int, BindProcess]] = []
        for i, name in enumerate(columns):
            column_type = self.table.c[name].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if self.copy and isinstance(column_type, sa.JSON):
                # SQLAlchemy's processor wraps the value for psycopg, which then serialises it with
                # the dialect's serialiser; COPY is given that text directly.
                process = getattr(dialect, "_json_serializer", None) or json.dumps
            if process is not None and not isinstance(column_type, NATIVE_TYPES):
                if name in REPEATING_LISTS:
                    process = _memo_list(process)
                elif isinstance(column_type, sa.JSON):  # similar_songs: empty in the tracks schema
                    process = _empty_once(process)
                self._convert.append((i, process))
        stamp = self.table.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._stamp: BindProcess = stamp or (lambda value: value)
        quote = dialect.identifier_preparer.quote
        self._names = ", ".join(quote(name) for name in columns)
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._marks = ", ".join([self._mark] * (len(columns) + 2))
        self._rows_per_statement = 1
        if dialect.name == "sqlite":
            driver = cast(sqlite3.Connection, self.conn.connection.driver_connection)
            limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self._rows_per_statement = max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // (len(columns) + 2)))
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
                types: dict[str, int] = dict(self.conn.exec_driver_sql(COLUMN_TYPES).all())
                self.conn.exec_driver_sql(
                    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} WITH (toast_tuple_target = 8160) "
                    f"ON COMMIT DELETE ROWS AS SELECT 0 AS position, {self._names} FROM songs WITH NO DATA"
                )
            self._staged = True
            # In binary, a json value is its text; every other column is sent as the type it has.
            self._types = [TEXT_OID if types[c] == JSON_OID else types[c] for c in (*columns, *STAMPS)]
        self.columns = columns

    def upsert(self, items: list[ParsedRow]) -> tuple[int, int, int]:
        """Insert new songs and update changed ones in one transaction: (inserted, updated, unchanged)."""
        records = {item.record["natural_key"]: item for item in items}
        if self.columns is None:
            self._prepare(items[0].record)
        with self.conn.begin():
            new, changed, rehashed = _sort_out(records, self._existing(list(records)))
            now = utcnow()
            if new:
                (self._copy_in if self.copy else self._insert)(new, now)
            if changed:
                (self._copy_upsert if self.copy else self._upsert)(changed, now)
            if rehashed:
                self.conn.execute(REHASH, rehashed)
        return len(new), len(changed), len(records) - len(new) - len(changed)

    def _existing(self, keys: list[str]) -> dict[str, str]:
        if self.copy:
            # One array parameter, not an IN list of a thousand: psycopg prepares a statement run
            # five times, and PostgreSQL's generic plan for "= ANY(ARRAY[$1, ..., $1000])" became,
            # once autovacuum had analysed songs, a sequential scan comparing every row with every
            # key: 4 s a batch from the 88th batch of the tracks sample on (1,800 rows/s overall).
            # In binary (%b): psycopg quotes each key of a text array with a regular expression,
            # 4.4 against 0.5 us a key.
            sql, parameters = "SELECT natural_key, row_hash FROM songs WHERE natural_key = ANY(%b)", (keys,)
        else:  # written out: SQLAlchemy compiling an IN of a thousand keys cost 7 us a row
            marks = ", ".join([self._mark] * len(keys))
            sql, parameters = (
                f"SELECT natural_key, row_hash FROM songs WHERE natural_key IN ({marks})",
                tuple(keys),
            )
        return dict(self.conn.exec_driver_sql(sql, parameters).all())

    def _prepared(self, record: SongRecord) -> list[object]:
        values = list(self._values(record))
        for i, process in self._convert:
            values[i] = process(values[i])
        return values

    def _insert_rows(self, items: list[ParsedRow], now: dt.datetime, suffix: str = "") -> None:
        """INSERT the items, `suffix` after the VALUES: one executemany, or on SQLite statements of
        several rows each, in the items' order."""
        stamp = self._stamp(now)
        rows = [(*self._prepared(item.record), stamp, stamp) for item in items]
        size = self._rows_per_statement

        def insert(count: int) -> str:
            values = ", ".join([f"({self._marks})"] * count)
            return f"INSERT INTO songs ({self._names}, created_at, updated_at) VALUES {values} {suffix}"

        if size == 1:
            self.conn.exec_driver_sql(insert(1), rows)
            return
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            self.conn.exec_driver_sql(insert(len(chunk)), tuple(value for row in chunk for value in row))

    def _insert(self, items: list[ParsedRow], now: dt.datetime) -> None:
        # New songs go in with a plain INSERT, cheaper for SQLite than the upsert (40 against 47 us
        # a row): a song another import added since the batch read the table fails the batch, and
        # the row-by-row retry then reads it and updates it.
        self._insert_rows(items, now)

    def _upsert(self, items: list[ParsedRow], now: dt.datetime) -> None:
        self._insert_rows(items, now, self._on_conflict)

    def _copy_in(self, items: list[ParsedRow], now: dt.datetime) -> None:
        # New songs are copied straight into the table, not through the staging table: that was a
        # second heap write and read of every row (server time 67 against 123 us a lyrics row).
        sql = f"COPY songs ({self._names}, created_at, updated_at) FROM STDIN (FORMAT BINARY)"
        with self._cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types(self._types)
            for item in items:
                copy.write_row((*self._prepared(item.record), now, now))

    def _copy_upsert(self, items: list[ParsedRow], now: dt.datetime) -> None:
        with self._cursor() as cursor:
            with cursor.copy(f"COPY {STAGING} (position, {self._names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([INT4_OID, *self._types[: -len(STAMPS)]])
                for position, item in enumerate(items):
                    copy.write_row((position, *self._prepared(item.record)))
            # In the batch's order, so that ids are given in the order SQLite gives them.
            cursor.execute(
                f"INSERT INTO songs ({self._names}, created_at, updated_at) SELECT {self._names}, "
                f"%(now)s, %(now)s FROM {STAGING} ORDER BY position {self._on_conflict}",
                {"now": now},
            )

    def _cursor(self) -> Cursor[Any]:
        # SQLAlchemy types the driver's connection as Any, or None once invalidated (a connection in
        # use is not); with self.copy it is psycopg's, whose rows hold values of any column type.
        return cast("Connection[Any]", self.conn.connection.driver_connection).cursor()

    def close(self) -> None:
        """Drop the staging table and restore the settings: the pooled connection goes back as it came."""
        self.conn.rollback()
        if self._staged:
            with self.conn.begin():
                self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGING}")
        for statement in self._restore:
            self.conn.exec_driver_sql(statement)
        self.conn.commit()
