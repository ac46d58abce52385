"""Database engine settings: SQLite gets WAL, a busy timeout, enforced foreign keys and Unicode lower case."""

import sqlalchemy as sa

# Registered on every SQLite connection: SQLite's own lower() folds ASCII only, PostgreSQL's (a
# UTF-8 LC_CTYPE, as Debian's clusters have) folds every letter. Search calls this one for text
# outside ASCII, so "émile" finds "ÉMILE" on both backends.
UNICODE_LOWER = "unicode_lower"


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
