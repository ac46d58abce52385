"""User accounts."""

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import DbId


def utcnow():
    """Timezone-aware current time in UTC."""
    return dt.datetime.now(dt.UTC)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(DbId, primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    age: Mapped[int | None]
    bio: Mapped[str | None] = mapped_column(sa.Text)
    emotions: Mapped[list] = mapped_column(sa.JSON, default=list)
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Overrides UserMixin.is_active: Flask-Login refuses to log in a deactivated user.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Bumped by the user's own actions and profile saves: part of every cached recommendation
    # list's key, so the next request after a change misses the cache on every worker.
    rec_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Part of the session and remember-me identity; rotated on logout, password change and
    # deactivation, so cookies issued before stop authenticating.
    session_token: Mapped[str] = mapped_column(
        sa.String(32), default=lambda: secrets.token_hex(16), server_default=""
    )

    def set_password(self, password):
        """Store a salted hash of the password, never the password; ends the user's other sessions.

        Rotating here means every way of changing a password (there is no page for it yet) logs out
        the sessions and remember-me cookies issued before; a view that changes the current user's
        password must call login_user again to keep that browser logged in.
        """
        self.password_hash = generate_password_hash(password)
        self.rotate_session_token()

    def rotate_session_token(self) -> None:
        """A new session token: session and remember-me cookies issued before stop authenticating."""
        self.session_token = secrets.token_hex(16)

    def get_id(self) -> str:
        """Flask-Login's identity, kept in the session and the remember-me cookie: "<id>:<token>".

        The user loader (app/__init__.py) accepts it only while the token matches the user's row.
        """
        return f"{self.id}:{self.session_token}"

    def check_password(self, password):
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self):
        return f"<User {self.username}>"
