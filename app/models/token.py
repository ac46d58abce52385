"""API tokens: long random secrets for non-browser clients, stored only as a hash."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import DbId
from .user import utcnow


class ApiToken(db.Model):
    """One named token of a user; the plaintext is shown once at creation and never stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(DbId, primary_key=True)
    user_id: Mapped[int] = mapped_column(DbId, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # sha256 hex of the token: tokens are random enough that a salt or a slow hash adds nothing.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(8))  # lets people tell their tokens apart in lists
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    @property
    def revoked(self):
        """True once the token was revoked."""
        return self.revoked_at is not None

    def __repr__(self):
        return f"<ApiToken {self.id} {self.prefix}… of user {self.user_id}>"
