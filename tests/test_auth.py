"""Register, log in, log out, redirects that stay on the site, CSRF."""

import pytest
import sqlalchemy as sa

from app.auth.routes import safe_next_url
from app.extensions import db
from app.models import User

from .conftest import csrf_token


def test_register_creates_a_hashed_account_and_logs_in(client, app):
    token = csrf_token(client, "/auth/register")
    response = client.post(
        "/auth/register",
        data={
            "username": "Bob",
            "password": "long enough pw",
            "confirm": "long enough pw",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/profile/"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "bob"))
        assert user is not None
        assert "long enough pw" not in user.password_hash and user.check_password("long enough pw")
    assert client.get("/songs/").status_code == 200


def test_register_rejects_taken_names_and_bad_input_with_400(client, user):
    token = csrf_token(client, "/auth/register")
    taken = client.post(
        "/auth/register",
        data={
            "username": "ALICE",
            "password": "another password",
            "confirm": "another password",
            "csrf_token": token,
        },
    )
    assert taken.status_code == 400 and b"is taken" in taken.data
    short = client.post(
        "/auth/register",
        data={"username": "x!", "password": "short", "confirm": "other", "csrf_token": token},
    )
    assert short.status_code == 400
    for message in (b"letters, digits", b"between 8 and 256 characters", b"Passwords differ"):
        assert message in short.data


def test_login_and_logout(client, auth):
    assert client.get("/songs/").status_code == 302
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/songs/")
    assert page.status_code == 200 and b"alice" in page.data
    assert auth.logout().status_code == 302
    assert client.get("/songs/").status_code == 302


def test_bad_password_is_refused(client, auth):
    response = auth.login(password="wrong-password")
    assert response.status_code == 400
    assert b"Wrong username or password." in response.data
    assert client.get("/songs/").status_code == 302
    unknown = auth.login(username="nobody")
    assert unknown.status_code == 400 and b"Wrong username or password." in unknown.data


def test_login_follows_a_local_next(client, auth):
    response = auth.login(next_url="/profile/")
    assert response.headers["Location"] == "/profile/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "evil.example"],
)
def test_login_refuses_a_next_on_another_host(client, auth, target):
    response = auth.login(next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_safe_next_url():
    assert safe_next_url("/songs/?page=2") == "/songs/?page=2"
    for bad in (None, "", "http://x.org/", "//x.org", "/\\x.org", "\\\\x.org", "/ok\r\nSet-Cookie: a=b"):
        assert safe_next_url(bad) is None


def test_login_required_redirects_to_login_with_next(client):
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_posts_without_csrf_token_are_refused(client, user):
    response = client.post("/auth/login", data={"username": "alice", "password": "correct-horse"})
    assert response.status_code == 400
    assert b"form expired or was not sent from this site" in response.data
    assert client.get("/songs/").status_code == 302


def test_logout_needs_post_with_token(client, auth):
    auth.login()
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/songs/").status_code == 200
