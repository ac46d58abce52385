"""Activity: an "unrate" event, so a first rating can be undone

Revision ID: 8c4f2a61d9e7
Revises: 5d1e7a9c3b20
Create Date: 2026-11-28 10:10:00

"""

from alembic import op


revision = "8c4f2a61d9e7"
down_revision = "5d1e7a9c3b20"
branch_labels = None
depends_on = None

OLD = "kind IN ('play', 'like', 'unlike', 'rate', 'bookmark', 'unbookmark', 'dislike', 'undislike')"
NEW = "kind IN ('play', 'like', 'unlike', 'rate', 'unrate', 'bookmark', 'unbookmark', 'dislike', 'undislike')"


def _replace(condition):
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("activity_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_activity_events_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_activity_events_kind_known"), condition)


def upgrade():
    _replace(NEW)


def downgrade():
    # Undone ratings become plain history the old schema can hold: the events go, the states stay.
    op.execute("DELETE FROM activity_events WHERE kind = 'unrate'")
    _replace(OLD)
