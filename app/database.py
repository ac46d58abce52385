"""Database engine settings: SQLite gets WAL, a busy timeout, enforced foreign keys and Unicode lower case."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

# Registered on every SQLite connection: SQLite's own lower() folds ASCII only, PostgreSQL's (a
# UTF-8 LC_CTYPE, as Debian's clusters have) folds every letter. Search calls this one for text
# outside ASCII, so "émile" finds "ÉMILE" on both backends.
UNICODE_LOWER = "unicode_lower"
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def unicode_lower(value: object) -> object:
    """Python's lower case of a text value (None and other types unchanged), for SQLite."""
    return value.lower() if isinstance(value, str) else value


def configure_sqlite(app):
    """Register a connect hook on this app's engines when they are SQLite."""
    timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))

    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one request writes; busy_timeout makes writers queue
        # instead of failing with "database is locked" when requests overlap.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.create_function(UNICODE_LOWER, 1, unicode_lower, deterministic=True)

    with app.app_context():
        from .extensions import db

        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", on_connect)


def dialect_insert(session: Any) -> Callable[..., Any] | None:
    """The INSERT construct with ON CONFLICT for the session's database (PostgreSQL or SQLite), or
    None for another database."""
    return _INSERTS.get(session.get_bind().dialect.name)


def upsert(session: Any, table: sa.Table, rows: Sequence[Mapping[str, Any]], key: Sequence[str]) -> None:
    """Write rows in one INSERT ... ON CONFLICT (key) DO UPDATE: each row ends written whatever a
    concurrent transaction inserted or deleted meanwhile, where a read, then an INSERT or an
    UPDATE, raises a unique violation or updates nothing when two writers meet."""
    if not rows:
        return
    insert = dialect_insert(session)
    if insert is None:  # pragma: no cover - the app runs on PostgreSQL and SQLite only
        raise NotImplementedError(f"no upsert for {session.get_bind().dialect.name}")
    statement = insert(table)
    updated = {name: statement.excluded[name] for name in rows[0] if name not in key}
    session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=updated), list(rows))


# Schema objects that exist on one database only carry info={ONLY_ON: "postgresql"} (and a matching
# ddl_if): the trigram indexes of song search on PostgreSQL.
ONLY_ON = "only_on"
# Song search's index on SQLite: an FTS5 table (trigram tokenizer, external content: songs) kept in
# step by triggers on songs, all made by migration 3e5a1c7d9b42 and none known to the models, since
# SQLAlchemy has no construct for them; search finds the table or scans without it
# (services/catalog/search_index.py). FTS5 keeps its data in shadow tables named after it.
SQLITE_SEARCH_INDEX = "songs_search"


def include_for_dialect(dialect: str) -> Callable[..., bool]:
    """Alembic's include_object for this database: leaves out objects declared for another one, so
    comparing the models with a migrated schema (autogenerate, the tests) expects only what exists,
    and leaves out SQLite's search index and its shadow tables, which no model declares."""

    def include(obj: Any, name: str | None, kind: str, reflected: bool, _compare_to: Any) -> bool:
        if kind == "table" and reflected and _is_search_index(name):
            return False
        return getattr(obj, "info", {}).get(ONLY_ON, dialect) == dialect

    return include


def _is_search_index(name: str | None) -> bool:
    return name is not None and (name == SQLITE_SEARCH_INDEX or name.startswith(SQLITE_SEARCH_INDEX + "_"))
