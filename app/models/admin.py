"""Administration records: who changed what (the audit log), and when the database was seeded."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import DbId
from .user import utcnow


class AuditEntry(db.Model):
    """One admin action: song create/edit/delete, user create/promote/demote/deactivate/reactivate."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(DbId, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    # SET NULL, and the name kept beside it, so the log outlives the accounts it mentions.
    actor_id: Mapped[int | None] = mapped_column(DbId, sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    via: Mapped[str] = mapped_column(sa.String(8))  # page, api or cli
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(20))
    # No foreign key: a deleted song's entry must stay.
    target_id: Mapped[int | None] = mapped_column(DbId)
    target_label: Mapped[str] = mapped_column(sa.String(300))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class SeedRun(db.Model):
    """One completed `flask seed all`, with what the catalog held afterwards."""

    __tablename__ = "seed_runs"

    id: Mapped[int] = mapped_column(DbId, primary_key=True)
    finished_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(500))
    songs: Mapped[int]
    users: Mapped[int]
    activities: Mapped[int]
