"""Users: recommendation cache version and rotating session token

Revision ID: 5d1e7a9c3b20
Revises: cad29dc59764
Create Date: 2026-11-28 06:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = "5d1e7a9c3b20"
down_revision = "cad29dc59764"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rec_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("session_token", sa.String(length=32), server_default="", nullable=False)
        )
    # Existing users get a token of their own; '' would be shared by all of them.
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    import secrets

    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_hex(16)))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_token")
        batch_op.drop_column("rec_version")
