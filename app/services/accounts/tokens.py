"""API tokens: create, list, revoke, and find the user a presented token belongs to."""

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa

from ...extensions import db
from ...models import ApiToken, User, utcnow

TOKEN_PREFIX = "sb_"  # recognisable in logs and by secret scanners
PREFIX_LENGTH = 8
MAX_NAME_LENGTH = 100
# Recording every use would make each API read a write; a minute's precision is enough to audit.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_token(plaintext: str) -> str:
    """The sha256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def create_token(user_id: int, name: str | None) -> tuple[ApiToken, str]:
    """Create a token for the user: returns (ApiToken, plaintext); only the hash is stored."""
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("a token needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a token name has at most {MAX_NAME_LENGTH} characters")
    if db.session.get(User, user_id) is None:
        raise ValueError(f"no user with id {user_id}")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id, name=name, token_hash=hash_token(plaintext), prefix=plaintext[:PREFIX_LENGTH]
    )
    db.session.add(token)
    db.session.commit()
    return token, plaintext


def list_tokens(user_id: int) -> Sequence[ApiToken]:
    """The user's tokens, revoked ones included, oldest first."""
    return db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()


def revoke_token(user_id: int, token_id: int) -> ApiToken | None:
    """Revoke one of the user's tokens; returns it, or None when the user has no such token."""
    token: ApiToken | None = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    if token is None:
        return None
    if token.revoked_at is None:  # revoking twice keeps the first time
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def token_owner_id(plaintext: str) -> int | None:
    """The id of the user a live (not revoked) token belongs to, or None: one indexed query, no writes.

    The API's write limits key on it before the request is authenticated (app/throttle.py).
    """
    return db.session.scalar(
        sa.select(ApiToken.user_id).where(
            ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None)
        )
    )


def user_for_token(plaintext: str | None) -> User | None:
    """The active user a live token belongs to, or None; records when the token was last used."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX):
        return None
    # Looked up by hash, so response time says nothing about how much of a guess was right.
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None))
    )
    if token is None:
        return None
    user = db.session.get(User, token.user_id)
    # never None: tokens go with their user (ON DELETE CASCADE)
    if not user.is_active:  # type: ignore[union-attr]  # deactivated: the token works again if reactivated
        return None
    now = utcnow()
    last = _aware(token.last_used_at)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return user
