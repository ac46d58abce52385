"""Song search: trigram GIN indexes on title, artist and album (PostgreSQL only)

Revision ID: f2b7c41e9a05
Revises: 8c4f2a61d9e7
Create Date: 2026-11-28 15:10:00

"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2b7c41e9a05"
down_revision = "8c4f2a61d9e7"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
COLUMNS = ("title", "artist", "album")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite has no index for LIKE '%text%': search scans the table there
    try:
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. A
        # role that may not still gets a working search (a scan), so the migration goes on.
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm not available (%s): song search will scan the songs table", exc.orig)
        return
    for column in COLUMNS:
        op.create_index(
            f"ix_songs_{column}_trgm",
            "songs",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_songs_{column}_trgm")
    # The extension stays: other objects in the database may use it.
