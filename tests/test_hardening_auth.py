"""Issue 12, findings 3 and 4: login and API write throttling (429 + Retry-After, and its reset on a
fake clock), and sessions that end (logout, deactivation, a new password; Secure remember cookie)."""

import re

import limits.storage.memory
import pytest

from app import create_app
from app import throttle as throttle_module
from app.extensions import db
from app.models import User
from app.services.accounts.audit import Actor
from app.services.admin import users

from .api_support import bearer, make_user, new_token
from .conftest import AuthActions, csrf_token

# Low limits for this module only; TestConfig keeps them out of reach for every other test.
LIMITS = {
    "LOGIN_LIMIT_PER_ACCOUNT": "3 per 10 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "5 per 10 minutes",
    "API_WRITE_LIMIT_PER_ACCOUNT": "4 per minute",
    "API_WRITE_LIMIT_PER_ADDRESS": "6 per minute",
}


@pytest.fixture
def app_settings():
    return {"QDRANT_LOCATION": ":memory:", **LIMITS}


class FakeClock:
    """Stands in for the time module where the limiter's counters and Retry-After read the time."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(1_800_000_000.0)
    monkeypatch.setattr(limits.storage.memory, "time", fake)  # Flask-Limiter's memory:// storage
    monkeypatch.setattr(throttle_module, "time", fake)
    return fake


def client_from(app, address):
    """A test client whose requests come from this address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_login(client, username, password):
    return AuthActions(client).login(username, password)


# ---- finding 3: login throttling -------------------------------------------------------------------


def test_login_answers_429_after_failures_even_with_the_right_password_then_resets(app, user, clock):
    client = client_from(app, "10.0.0.1")
    for _ in range(3):
        assert try_login(client, "alice", "wrong-password").status_code == 400
    refused = try_login(client, "alice", "correct-horse")
    assert refused.status_code == 429
    assert 590 <= int(refused.headers["Retry-After"]) <= 601  # the 10-minute window, in seconds
    page = refused.get_data(as_text=True)
    assert "Too many failed login attempts" in page and "try again in 10 minutes" in page
    assert 'name="username"' in page and 'value="alice"' in page  # the form is still there
    assert client.get("/songs/").status_code == 302  # not logged in
    assert client.get("/auth/login").status_code == 200  # the page itself always loads
    clock.advance(601)
    assert try_login(client, "alice", "correct-horse").status_code == 302


def test_the_account_limit_holds_across_addresses(app, user, clock):
    for n in range(3):
        assert try_login(client_from(app, f"10.0.1.{n}"), "ALICE ", "wrong-password").status_code == 400
    assert try_login(client_from(app, "10.0.1.99"), "alice", "correct-horse").status_code == 429
    make_user(app, "bob")  # other accounts are not affected
    assert try_login(client_from(app, "10.0.1.99"), "bob", "long enough pw").status_code == 302


def test_the_address_limit_holds_across_accounts(app, user, clock):
    attacker = client_from(app, "10.0.2.1")
    for n in range(5):
        assert try_login(attacker, f"victim{n}", "password1").status_code == 400
    assert try_login(attacker, "alice", "correct-horse").status_code == 429
    assert try_login(client_from(app, "10.0.2.2"), "alice", "correct-horse").status_code == 302


def test_successful_logins_do_not_count(app, user, clock):
    client = client_from(app, "10.0.3.1")
    auth = AuthActions(client)
    for _ in range(6):  # more than both limits
        assert auth.login().status_code == 302
        assert auth.logout().status_code == 302


# ---- finding 3: API writes -------------------------------------------------------------------------


def api_write(client, token):
    # An unknown song: answered (404 or 400), but a write all the same, so it counts.
    return client.post(
        "/api/v1/me/activities", json={"song_id": 999999, "action": "play"}, headers=bearer(token)
    )


def test_token_api_writes_answer_429_per_account_with_retry_after(app, user, clock):
    client = client_from(app, "10.0.4.1")
    token = new_token(app, user)
    answered = [api_write(client, token).status_code for _ in range(4)]
    assert 429 not in answered
    refused = api_write(client, token)
    assert refused.status_code == 429 and refused.is_json
    assert refused.get_json()["status"] == 429 and "Try again" in refused.get_json()["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another token of the same account shares the count; reads are not limited.
    assert api_write(client_from(app, "10.0.4.2"), new_token(app, user, "second")).status_code == 429
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    clock.advance(61)
    assert api_write(client, token).status_code != 429


def test_api_writes_are_limited_per_address_across_accounts(app, user, clock):
    client = client_from(app, "10.0.5.1")
    alice, bob = new_token(app, user), new_token(app, make_user(app, "bob"))
    assert all(api_write(client, alice).status_code != 429 for _ in range(3))
    assert all(api_write(client, bob).status_code != 429 for _ in range(3))
    assert api_write(client, bob).status_code == 429  # bob's 4th is within his limit, not the address's
    carol = new_token(app, make_user(app, "carol"))
    assert api_write(client, carol).status_code == 429  # a fresh account, the same address
    assert api_write(client_from(app, "10.0.5.2"), carol).status_code != 429


def test_a_limit_that_does_not_parse_stops_the_app(tmp_path):
    with pytest.raises(ValueError, match="LOGIN_LIMIT_PER_ACCOUNT"):
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",  # never opened: create_app refuses first
                "LOGIN_LIMIT_PER_ACCOUNT": "ten a minute",
            }
        )


def test_other_tests_are_not_throttled(database_uri):
    """TestConfig keeps throttling on with limits no other test reaches."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri("x")})
    for name in throttle_module.LIMIT_SETTINGS:
        amount = int(re.match(r"\d+", app.config[name]).group())
        assert amount >= 10000, name
    with app.app_context():
        db.engine.dispose()


# ---- finding 4: sessions that end ------------------------------------------------------------------


def saved_cookies(app):
    """Log alice in with "keep me logged in"; returns (session cookie, remember_token) as saved."""
    client = app.test_client()
    data = {
        "username": "alice",
        "password": "correct-horse",
        "remember": "y",
        "csrf_token": csrf_token(client, "/auth/login"),
    }
    assert client.post("/auth/login", data=data).status_code == 302
    return client, client.get_cookie("session").value, client.get_cookie("remember_token").value


def replays(app, session_cookie, remember_cookie):
    """Status of /songs/ for a client with only the saved session cookie, and one with only the remember_token."""
    by_session = app.test_client()
    by_session.set_cookie("session", session_cookie)
    by_remember = app.test_client()
    by_remember.set_cookie("remember_token", remember_cookie)
    return by_session.get("/songs/").status_code, by_remember.get("/songs/").status_code


def test_saved_session_and_remember_cookies_stop_working_after_logout(app, user):
    client, session_cookie, remember_cookie = saved_cookies(app)
    assert replays(app, session_cookie, remember_cookie) == (200, 200)  # they work until then
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/songs/")}).status_code == 302
    assert replays(app, session_cookie, remember_cookie) == (302, 302)


def test_deactivation_ends_sessions_for_good(app, user):
    _, session_cookie, remember_cookie = saved_cookies(app)
    with app.app_context():
        users.set_flags(db.session.get(User, user), Actor.cli(), is_active=False)
    assert replays(app, session_cookie, remember_cookie) == (302, 302)
    with app.app_context():
        users.set_flags(db.session.get(User, user), Actor.cli(), is_active=True)
    # Reactivation restores the account, not the cookies issued before: they log in again.
    assert replays(app, session_cookie, remember_cookie) == (302, 302)
    assert AuthActions(app.test_client()).login().status_code == 302


def test_a_new_password_ends_sessions(app, user):
    _, session_cookie, remember_cookie = saved_cookies(app)
    with app.app_context():
        db.session.get(User, user).set_password("a brand new secret")
        db.session.commit()
    assert replays(app, session_cookie, remember_cookie) == (302, 302)


def test_the_login_identity_carries_the_session_token(app, user):
    with app.app_context():
        alice = db.session.get(User, user)
        assert alice.get_id() == f"{user}:{alice.session_token}" and len(alice.session_token) == 32
        load = app.login_manager._user_callback
        assert load(alice.get_id()) is not None
        for stale in (str(user), f"{user}:", f"{user}:{'0' * 32}", "x:y", f"{user}:{alice.session_token}x"):
            assert load(stale) is None, stale


@pytest.mark.parametrize("secure", [True, False])
def test_remember_cookie_follows_the_session_cookies_secure_flag(database_uri, secure):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri("s"),
            "SESSION_COOKIE_SECURE": secure,
        }
    )
    from flask_migrate import upgrade

    from app.services.accounts.users import register_user

    with app.app_context():
        upgrade()
        register_user("alice", "correct-horse")
    client = app.test_client()
    data = {
        "username": "alice",
        "password": "correct-horse",
        "remember": "y",
        "csrf_token": csrf_token(client, "/auth/login"),
    }
    response = client.post("/auth/login", data=data)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert ("; Secure" in remember) is secure
    with app.app_context():
        db.engine.dispose()
