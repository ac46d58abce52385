"""Database engine settings: SQLite gets WAL, a busy timeout and enforced foreign keys."""

import sqlalchemy as sa


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

    with app.app_context():
        from .extensions import db

        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", on_connect)
