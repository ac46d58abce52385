"""Issue 12, finding 6: the password policy at registration and in `flask users create`; seeded
demo users and the passwords the other tests use keep working."""

import pytest
import sqlalchemy as sa

from app.auth import passwords
from app.extensions import db
from app.models import User
from app.services.accounts.audit import Actor
from app.services.admin import users
from app.services.ops.seeding import demo_password

from .conftest import csrf_token

COMMON = "This is one of the most commonly used passwords"


def register(client, username, password):
    token = csrf_token(client, "/auth/register")
    return client.post(
        "/auth/register",
        data={"username": username, "password": password, "confirm": password, "csrf_token": token},
    )


def user_exists(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username)) is not None


@pytest.mark.parametrize(
    "password, message",
    [
        ("password", COMMON),
        ("12345678", COMMON),
        ("Password1", COMMON),  # case does not matter
        ("p@ssw0rd", COMMON),
        ("  qwerty123 ", COMMON),  # nor do surrounding spaces
        ("sunshine2024", COMMON),
        ("Dave.Smith", "not your username"),
    ],
)
def test_registration_refuses_weak_passwords_with_a_message_on_the_form(client, app, password, message):
    response = register(client, "dave.smith", password)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="password-errors"' in page  # shown under the password field, linked for screen readers
    assert not user_exists(app, "dave.smith")


def test_registration_still_says_when_a_password_is_too_short(client, app):
    response = register(client, "dave", "abc")
    assert response.status_code == 400 and b"between 8 and 256 characters" in response.data
    assert COMMON.encode() not in response.data  # one message is enough


def test_a_reasonable_password_is_accepted(client, app):
    assert register(client, "dave", "violet-tractor-42").status_code == 302
    assert user_exists(app, "dave")


@pytest.mark.parametrize(
    "username, password, words",
    [
        ("robot", "password123", "commonly used"),
        ("robot9000", "ROBOT9000", "not your username"),
        ("robot", "short", "at least 8 characters"),
    ],
)
def test_cli_create_refuses_weak_passwords(runner, app, username, password, words):
    result = runner.invoke(args=["users", "create", username, "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0 and words in result.output
    assert not user_exists(app, username)


def test_cli_still_checks_the_username_before_asking_for_a_password(runner, app):
    result = runner.invoke(args=["users", "create", "no spaces!"])
    assert result.exit_code != 0 and "username" in result.output and "Password" not in result.output


def test_the_admin_service_applies_the_policy(app):
    with app.app_context(), pytest.raises(ValueError, match="commonly used"):
        users.create_user("helper", "letmein123", Actor.cli())


def test_the_shipped_list_is_a_few_thousand_lowercase_passwords():
    common = passwords.common_passwords()
    assert 3000 <= len(common) <= 20000
    assert all(p == p.lower() and len(p) >= passwords.MIN_LENGTH for p in common)
    assert {"password", "12345678", "qwerty123", "iloveyou", "1qaz2wsx"} <= common


def test_demo_and_test_passwords_pass_the_policy():
    """Seeding bypasses the policy (its passwords are published), yet they would pass it anyway."""
    for n in range(50):
        assert passwords.password_problem(demo_password(f"user{n}"), f"user{n}") is None
    for password in ("correct-horse", "long enough pw", "long-password", "s3cret-pass", "from-a-pipe-123"):
        assert passwords.password_problem(password, "alice") is None, password
