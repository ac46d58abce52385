"""Admins manage accounts from the CLI, the API and the pages; the last active admin always stays."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, User, UserSong
from app.services.accounts import tokens
from app.services.accounts.users import authenticate, find_user
from app.services.activity.events import record_activity

from .admin_support import admin, admin_headers, audit_actions, logged_in  # noqa: F401
from .api_support import assert_json_error, bearer, make_user, new_token, song_ids
from .conftest import AuthActions


def flags(app, username):
    with app.app_context():
        user = find_user(username)
        return user.is_admin, user.is_active


# ---- CLI -------------------------------------------------------------------------------------------


def test_create_asks_for_the_password_twice_without_echoing_it(runner, app):
    result = runner.invoke(args=["users", "create", "Boss", "--admin"], input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "Created admin boss" in result.output and "s3cret-pass" not in result.output
    assert "Repeat for confirmation" in result.output
    with app.app_context():
        user = authenticate("boss", "s3cret-pass")
        assert user is not None and user.is_admin and user.is_active
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.via, entry.target_id) == ("user.create", "cli", user.id)
        assert entry.actor_name.startswith("cli:") and entry.details == {"is_admin": True}


def test_create_reads_stdin_for_scripts_and_refuses_bad_input(runner, app):
    ok = runner.invoke(args=["users", "create", "robot", "--password-stdin"], input="from-a-pipe-123\n")
    assert ok.exit_code == 0 and "Created user robot" in ok.output
    with app.app_context():
        assert authenticate("robot", "from-a-pipe-123") is not None and not find_user("robot").is_admin
    taken = runner.invoke(args=["users", "create", "ROBOT", "--password-stdin"], input="another-pass-1\n")
    assert taken.exit_code != 0 and "taken" in taken.output
    short = runner.invoke(args=["users", "create", "shorty", "--password-stdin"], input="abc\n")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    bad_name = runner.invoke(
        args=["users", "create", "no spaces!", "--password-stdin"], input="long-enough-1\n"
    )
    assert bad_name.exit_code != 0 and "username" in bad_name.output
    with app.app_context():
        assert find_user("shorty") is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_promote_demote_deactivate_and_reactivate(runner, app, user):
    make_user(app, "root", admin=True)
    steps = [
        ("promote", (True, True)),
        ("deactivate", (True, False)),
        ("reactivate", (True, True)),
        ("demote", (False, True)),
    ]
    for command, expected in steps:
        result = runner.invoke(args=["users", command, "alice"])
        assert result.exit_code == 0, result.output
        assert flags(app, "alice") == expected, command
    again = runner.invoke(args=["users", "demote", "alice"])
    assert "nothing to change" in again.output
    assert [(a, v) for a, v, _ in audit_actions(app)] == [
        ("user.promote", "cli"),
        ("user.deactivate", "cli"),
        ("user.reactivate", "cli"),
        ("user.demote", "cli"),
    ]
    unknown = runner.invoke(args=["users", "promote", "nobody"])
    assert unknown.exit_code != 0 and "no user named 'nobody'" in unknown.output


def test_the_cli_never_removes_the_last_active_admin(runner, app, user):
    make_user(app, "root", admin=True)
    for command in ("demote", "deactivate"):
        result = runner.invoke(args=["users", command, "root"])
        assert result.exit_code != 0 and "last active admin" in result.output
    assert flags(app, "root") == (True, True)
    # With a second active admin, the first may go; then the second is the last one.
    runner.invoke(args=["users", "promote", "alice"])
    assert runner.invoke(args=["users", "deactivate", "root"]).exit_code == 0
    assert runner.invoke(args=["users", "demote", "alice"]).exit_code != 0
    assert flags(app, "alice") == (True, True)


# ---- deactivated accounts ----------------------------------------------------------------------------


def test_a_deactivated_user_cannot_log_in_use_a_session_or_a_token(app, runner, user, demo_songs):
    song_id = song_ids(app, 1)[0]
    with app.app_context():
        record_activity(user, song_id, "like")
    token = new_token(app, user)
    session_client, _ = logged_in(app, "alice", "correct-horse")
    assert session_client.get("/api/v1/me").status_code == 200
    assert session_client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    make_user(app, "root", admin=True)
    assert runner.invoke(args=["users", "deactivate", "alice"]).exit_code == 0

    assert_json_error(session_client.get("/api/v1/me"), 401)  # the old session is dead
    page = session_client.get("/songs/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/login")
    assert_json_error(app.test_client().get("/api/v1/me", headers=bearer(token)), 401, "deactivated")
    refused = AuthActions(app.test_client()).login("alice", "correct-horse")
    assert refused.status_code == 403 and "This account is deactivated" in refused.get_data(as_text=True)
    wrong = AuthActions(app.test_client()).login("alice", "wrong password")
    assert "deactivated" not in wrong.get_data(as_text=True)  # said only to whoever knows the password
    with app.app_context():
        assert tokens.user_for_token(token) is None
        kept = sa.select(sa.func.count()).select_from(UserSong).where(UserSong.user_id == user)
        assert db.session.scalar(kept) == 1  # their data stays

    assert runner.invoke(args=["users", "reactivate", "alice"]).exit_code == 0
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert AuthActions(app.test_client()).login("alice", "correct-horse").status_code == 302


# ---- API -----------------------------------------------------------------------------------------------


def _many_users(app, count):
    with app.app_context():
        db.session.add_all(
            User(username=f"listener{i:02d}", password_hash="x", emotions=[], tags=[]) for i in range(count)
        )
        db.session.commit()


def test_the_user_list_searches_and_pages(client, app, admin_headers):
    _many_users(app, 25)
    first = client.get("/api/v1/users", query_string={"q": "LISTENER", "per_page": 10}, headers=admin_headers)
    body = first.get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (25, 3, 10)
    assert body["items"][0] == {
        **body["items"][0],
        "username": "listener00",
        "is_admin": False,
        "is_active": True,
    }
    last = client.get(
        "/api/v1/users", query_string={"q": "listener", "per_page": 10, "page": 3}, headers=admin_headers
    ).get_json()
    assert [u["username"] for u in last["items"]] == [f"listener{i}" for i in range(20, 25)]
    assert (
        client.get("/api/v1/users", query_string={"q": "root"}, headers=admin_headers).get_json()["total"]
        == 1
    )
    assert (
        client.get("/api/v1/users", query_string={"q": "%"}, headers=admin_headers).get_json()["total"] == 0
    )
    assert_json_error(client.get("/api/v1/users?page=0", headers=admin_headers), 400, "page")


def test_a_user_profile_has_activity_counts(client, app, admin_headers, user, demo_songs):
    first, second = song_ids(app, 2)
    with app.app_context():
        record_activity(user, first, "like")
        record_activity(user, first, "play")
        record_activity(user, second, "rate", 2)
    new_token(app, user)
    body = client.get(f"/api/v1/users/{user}", headers=admin_headers).get_json()
    assert body["username"] == "alice" and body["is_active"] is True
    assert body["counts"] == {
        "likes": 1,
        "dislikes": 0,
        "bookmarks": 0,
        "ratings": 1,
        "plays": 1,
        "events": 3,
        "api_tokens": 1,
    }
    assert_json_error(client.get("/api/v1/users/999", headers=admin_headers), 404)


def test_patch_promotes_deactivates_and_validates(client, app, admin, admin_headers, user):
    response = client.patch(
        f"/api/v1/users/{user}", json={"is_admin": True, "is_active": False}, headers=admin_headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["actions"] == ["user.promote", "user.deactivate"]
    assert flags(app, "alice") == (True, False)
    for body, field in (({"is_admin": "yes"}, "is_admin"), ({"username": "x"}, "username"), ({}, "body")):
        bad = client.patch(f"/api/v1/users/{user}", json=body, headers=admin_headers)
        assert field in assert_json_error(bad, 400)["fields"]
    back = client.patch(
        f"/api/v1/users/{user}", json={"is_active": True, "is_admin": False}, headers=admin_headers
    )
    assert back.get_json()["actions"] == ["user.demote", "user.reactivate"]
    assert [(a, v, t) for a, v, t in audit_actions(app)] == [
        ("user.promote", "api", user),
        ("user.deactivate", "api", user),
        ("user.demote", "api", user),
        ("user.reactivate", "api", user),
    ]
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).limit(1))
        assert (entry.actor_id, entry.actor_name, entry.target_label) == (admin, "root", "alice")


@pytest.mark.parametrize("body", [{"is_admin": False}, {"is_active": False}])
def test_the_api_refuses_to_remove_the_last_active_admin(client, app, admin, admin_headers, user, body):
    retired = make_user(app, "retired", admin=True)
    client.patch(
        f"/api/v1/users/{retired}", json={"is_active": False}, headers=admin_headers
    )  # inactive admin
    response = client.patch(f"/api/v1/users/{admin}", json=body, headers=admin_headers)
    assert_json_error(response, 409, "last active admin")
    assert flags(app, "root") == (True, True)
    assert [a for a, _, _ in audit_actions(app)] == ["user.deactivate"]


# ---- pages -------------------------------------------------------------------------------------------------


def test_admin_pages_list_show_and_change_users(app, admin, user, demo_songs):
    with app.app_context():
        record_activity(user, song_ids(app, 1)[0], "bookmark")
    client, token = logged_in(app, "root")
    listing = client.get("/admin/users?q=ali").get_data(as_text=True)
    assert f'href="/admin/users/{user}"' in listing and "/admin/users/1" not in listing
    profile = client.get(f"/admin/users/{user}").get_data(as_text=True)
    assert "<dt>Bookmarks</dt><dd>1</dd>" in profile and "Promote" in profile and "Deactivate" in profile

    promoted = client.post(
        f"/admin/users/{user}", data={"action": "promote", "csrf_token": token}, follow_redirects=True
    )
    assert "alice is now an admin" in promoted.get_data(as_text=True) and flags(app, "alice") == (True, True)
    off = client.post(
        f"/admin/users/{user}", data={"action": "deactivate", "csrf_token": token}, follow_redirects=True
    )
    assert "alice is deactivated" in off.get_data(as_text=True) and flags(app, "alice") == (True, False)
    refused = client.post(
        f"/admin/users/{admin}", data={"action": "demote", "csrf_token": token}, follow_redirects=True
    )
    assert "root is the last active admin" in refused.get_data(as_text=True) and flags(app, "root") == (
        True,
        True,
    )
    bogus = client.post(f"/admin/users/{user}", data={"action": "delete", "csrf_token": token})
    assert bogus.status_code == 400
    assert audit_actions(app) == [("user.promote", "page", user), ("user.deactivate", "page", user)]
