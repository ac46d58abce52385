"""The password policy: long enough, not the username, not one of the commonly used passwords.

Checked wherever a person picks a password: the registration form, `flask users create` and the
admin service behind it (app/services/admin/users.py). Seeding does not check it: the demo users'
passwords (`user0@000`, ...) are documented in the README so anyone can try the demo, and they are
set by code, not chosen by a person (they happen to pass anyway).
"""

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 256
# Shipped with the code (no download at run time); its header says how it was built.
COMMON_PASSWORDS_FILE = Path(__file__).resolve().with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lowercased; read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    # "# " starts a comment; "########" is a (common) password.
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("# "))


def is_common(password: str) -> bool:
    """True when the password, ignoring case and surrounding spaces, is on the common list."""
    return (password or "").strip().lower() in common_passwords()


def password_problem(password: str | None, username: str | None = None) -> str | None:
    """Why a new password is refused, as a sentence to show the person, or None when it is fine."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    # Usernames are stored lowercased and stripped (users.normalise_username); compare the same way.
    if username and password.strip().lower() == username.strip().lower():
        return "Choose a password that is not your username."
    if is_common(password):
        return "This is one of the most commonly used passwords, so it is easy to guess. Choose another."
    return None
