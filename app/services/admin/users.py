"""Admins managing accounts: search, profiles with activity counts, promote, demote, deactivate."""

import re
from typing import Any, cast

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from ...auth.passwords import MIN_LENGTH, password_problem
from ...extensions import db
from ...models import ActivityEvent, ApiToken, User
from ..accounts import audit
from ..accounts.audit import Actor
from ..accounts.users import UsernameTaken, normalise_username, register_user
from ..activity import history

USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,64}$")
MIN_PASSWORD = MIN_LENGTH  # the password policy lives in app/auth/passwords.py
# (flag, new value) -> the action's name in the audit log.
ACTIONS: dict[tuple[str, bool], str] = {
    ("is_admin", True): "user.promote",
    ("is_admin", False): "user.demote",
    ("is_active", False): "user.deactivate",
    ("is_active", True): "user.reactivate",
}

__all__ = [
    "LastAdmin",
    "UsernameTaken",
    "create_user",
    "page_of_users",
    "set_flags",
    "user_detail_json",
    "user_json",
]


class LastAdmin(ValueError):
    """The change would leave no active admin."""


def page_of_users(q: str | None = None, page: int = 1, per_page: int = 20) -> Pagination:
    """Users whose name contains q, by name, a page at a time (a Flask-SQLAlchemy Pagination)."""
    query = sa.select(User).order_by(User.username)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(User.username.like(pattern, escape="\\"))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def user_json(user: User) -> dict[str, Any]:
    """A user as admin lists show them."""
    return {
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
        "is_active": user.is_active,
        "created_at": history.isoformat(user.created_at),
    }


def user_detail_json(user: User) -> dict[str, Any]:
    """A user's profile with their activity counts, for admins."""
    counts = history.user_counts(user.id)
    # a count always gives a row: never None
    counts["events"] = cast(
        int,
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ActivityEvent).where(ActivityEvent.user_id == user.id)
        ),
    )
    counts["api_tokens"] = cast(
        int,
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ),
    )
    return {
        **user_json(user),
        "age": user.age,
        "bio": user.bio,
        "emotions": list(user.emotions or []),
        "tags": list(user.tags or []),
        "counts": counts,
    }


def _check_last_admin(user: User, is_admin: bool | None, is_active: bool | None) -> None:
    # FOR UPDATE (PostgreSQL) makes two admins demoting each other at once wait for one another,
    # so the second one counts what the first left; SQLite serialises writers anyway.
    admins = db.session.scalars(
        sa.select(User.id).where(User.is_admin.is_(True), User.is_active.is_(True)).with_for_update()
    ).all()
    stays = (user.is_admin if is_admin is None else is_admin) and (
        user.is_active if is_active is None else is_active
    )
    if user.id in admins and not stays and len(admins) <= 1:
        raise LastAdmin(
            f"{user.username} is the last active admin: promote another user before "
            f"{'deactivating' if is_active is False else 'demoting'} them."
        )


def set_flags(
    user: User, actor: Actor, is_admin: bool | None = None, is_active: bool | None = None
) -> list[str]:
    """Promote/demote, deactivate/reactivate in one transaction; returns the actions; raises LastAdmin."""
    # Deactivation keeps the user's data; sessions and tokens are refused (user_loader,
    # user_for_token) until they are reactivated.
    for value in (is_admin, is_active):
        if value is not None and not isinstance(value, bool):
            raise TypeError("is_admin and is_active are True, False or None")
    try:
        _check_last_admin(user, is_admin, is_active)
        actions: list[str] = []
        for flag, value in (("is_admin", is_admin), ("is_active", is_active)):
            if value is not None and getattr(user, flag) != value:
                setattr(user, flag, value)
                if (flag, value) == ("is_active", False):
                    # Cookies issued before stay dead after a reactivation too: they log in again.
                    user.rotate_session_token()
                actions.append(ACTIONS[(flag, value)])
                audit.record(actor, ACTIONS[(flag, value)], "user", user.id, user.username)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return actions


def check_new_account(username: str, password: str | None) -> dict[str, str]:
    """Messages about a username or password the CLI should refuse, by field (empty when fine).

    password=None checks the username alone (the CLI does, before asking for a password).
    """
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(normalise_username(username)):
        errors["username"] = "use 3 to 64 letters, digits, '.', '_' or '-'"
    problem = None if password is None else password_problem(password, username)
    if problem:
        errors["password"] = problem
    return errors


def create_user(username: str, password: str, actor: Actor, admin: bool = False) -> User:
    """Create an account (an admin one when asked) and log it; raises UsernameTaken or ValueError."""
    errors = check_new_account(username, password)
    if errors:
        raise ValueError("; ".join(f"{field}: {message}" for field, message in errors.items()))
    user = register_user(username, password, is_admin=admin)
    audit.record(actor, "user.create", "user", user.id, user.username, {"is_admin": admin})
    db.session.commit()
    return user
