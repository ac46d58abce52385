"""Creating, authenticating and updating user accounts."""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from ...extensions import db
from ...models import User
from ...spotify_csv.vocab import EMOTIONS, canonical_tag
from ..indexing.user_vectors import refresh_user_vector
from ..recommendations.cache import bump_versions

# Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class UsernameTaken(ValueError):
    """Another account already has this username."""


def normalise_username(username: str | None) -> str:
    """Usernames are matched without regard to case or surrounding spaces."""
    return (username or "").strip().lower()


def find_user(username: str | None) -> User | None:
    """The user with this username, or None."""
    return db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))


def register_user(username: str | None, password: str, **profile: Any) -> User:
    """Create and commit a user; raises UsernameTaken."""
    username = normalise_username(username)
    if find_user(username) is not None:
        raise UsernameTaken(f"The username '{username}' is taken.")
    user = User(username=username, emotions=[], tags=[], **profile)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # registered by a concurrent request since the check
        db.session.rollback()
        raise UsernameTaken(f"The username '{username}' is taken.") from None
    return user


def authenticate(username: str | None, password: str) -> User | None:
    """The user when the password is right, else None."""
    user = find_user(username)
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    return user if user.check_password(password) else None


def end_sessions(user: User) -> None:
    """Log the user out everywhere: their session and remember-me cookies stop authenticating."""
    user.rotate_session_token()
    db.session.commit()


def update_profile(
    user: User, age: int | None, bio: str | None, emotions: Iterable[str], tags: Iterable[str]
) -> User:
    """Save a user's stated preferences; unknown emotions raise ValueError."""
    unknown = [e for e in emotions if e not in EMOTIONS]
    if unknown:
        raise ValueError(f"unknown emotion(s): {', '.join(unknown)}")
    user.age = age
    user.bio = (bio or "").strip() or None
    user.emotions = list(dict.fromkeys(emotions))
    user.tags = list(dict.fromkeys(canonical_tag(t) for t in tags if t.strip()))
    bump_versions([user.id])  # the knowledge list reads these preferences: cached lists go stale
    db.session.commit()
    refresh_user_vector(user.id)
    return user
