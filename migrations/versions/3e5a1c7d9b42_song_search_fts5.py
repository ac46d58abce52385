"""Song search: an FTS5 trigram index of title, artist and album (SQLite only)

Revision ID: 3e5a1c7d9b42
Revises: f2b7c41e9a05
Create Date: 2026-12-03 10:00:00

The index is an external-content FTS5 table over songs (it stores only the index, reading the text
from songs), kept in step by triggers: the standard pattern, FTS5's 'delete' command with the old
values, then an insert of the new ones. Search uses it to narrow its candidates
(app/services/catalog/search_index.py) and scans when it is missing, so an SQLite without FTS5 or
its trigram tokenizer (3.34+) gets a warning and a search that scans, as PostgreSQL without pg_trgm
does. A later migration that rebuilds songs in batch mode (copy, drop, rename) drops these
triggers with the old table, and must create them again.
"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3e5a1c7d9b42"
down_revision = "f2b7c41e9a05"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
TABLE = "songs_search"
COLUMNS = "title, artist, album"
OLD = "old.id, old.title, old.artist, old.album"
NEW = "new.id, new.title, new.artist, new.album"
TRIGGERS = {
    "songs_search_insert": f"AFTER INSERT ON songs BEGIN INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES ({NEW}); END",
    "songs_search_delete": (
        f"AFTER DELETE ON songs BEGIN "
        f"INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', {OLD}); END"
    ),
    # id too: a changed id moves the row in the index (nothing changes ids today; this costs nothing).
    "songs_search_update": (
        f"AFTER UPDATE OF id, {COLUMNS} ON songs BEGIN "
        f"INSERT INTO {TABLE} ({TABLE}, rowid, {COLUMNS}) VALUES ('delete', {OLD}); "
        f"INSERT INTO {TABLE} (rowid, {COLUMNS}) VALUES ({NEW}); END"
    ),
}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL searches through trigram GIN indexes (f2b7c41e9a05)
    try:
        # case_sensitive 0 (the default): FTS5 folds case; search's own predicate decides every row.
        bind.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5({COLUMNS}, content = 'songs', content_rowid = 'id', "
            "tokenize = 'trigram')"
        )
    except sa.exc.DBAPIError as exc:  # a failed statement leaves SQLite's transaction as it was
        log.warning(
            "FTS5 trigram tokenizer not available (%s): song search will scan the songs table", exc.orig
        )
        return
    for name, body in TRIGGERS.items():
        bind.exec_driver_sql(f"CREATE TRIGGER {name} {body}")
    bind.exec_driver_sql(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")  # the songs already there


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    bind.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
