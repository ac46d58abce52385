"""Who may use the Admin section: admins only; others get 403, anonymous visitors a login or a 401."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Song, User

from .admin_support import admin, admin_headers, logged_in  # noqa: F401
from .api_support import assert_json_error, bearer, new_token, song_ids
from .conftest import csrf_token

IGNORED = {"HEAD", "OPTIONS"}


def admin_operations(app, song_id, user_id):
    """(method, url) of every admin page and admin API operation, found by walking the URL map."""
    found = set()
    for rule in app.url_map.iter_rules():
        methods = rule.methods - IGNORED
        if rule.rule.startswith("/admin"):
            chosen = methods
        elif rule.rule.startswith("/api/v1/songs"):
            chosen = methods - {"GET"}  # listeners read songs; only writes are for admins
        elif rule.rule.startswith("/api/v1/users") or rule.rule == "/api/v1/status":
            chosen = methods
        else:
            continue
        url = re.sub(r"<int:song_id>", str(song_id), rule.rule)
        url = re.sub(r"<int:user_id>", str(user_id), url)
        assert "<" not in url, rule.rule
        found |= {(method, url) for method in chosen}
    return sorted(found)


@pytest.fixture
def targets(app, demo_songs, admin):
    return song_ids(app, 1)[0], admin


def _state(app):
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Song)),
            db.session.execute(sa.select(User.id, User.is_admin, User.is_active).order_by(User.id)).all(),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        )


def test_the_walk_finds_every_admin_area(app, targets):
    operations = admin_operations(app, *targets)
    paths = {url for _, url in operations}
    assert {"/admin/status", "/admin/songs", "/admin/users", "/api/v1/status", "/api/v1/users"} <= paths
    methods = {method for method, url in operations if url.startswith("/api/v1/songs")}
    assert methods == {"POST", "PATCH", "DELETE"}
    assert len(operations) >= 15


def test_listeners_get_403_everywhere_and_change_nothing(app, targets, user):
    before = _state(app)
    page_client, token = logged_in(app, "alice", "correct-horse")
    api_headers = bearer(new_token(app, user))
    for method, url in admin_operations(app, *targets):
        if url.startswith("/api/"):
            for response in (
                page_client.open(url, method=method, json={}, headers={"X-CSRFToken": token}),
                page_client.open(url, method=method, json={}, headers=api_headers),
            ):
                assert_json_error(response, 403, "administrators")
        else:
            response = page_client.open(url, method=method, data={"csrf_token": token, "action": "promote"})
            assert response.status_code == 403, (method, url)
            assert "for administrators" in response.get_data(as_text=True)
    assert _state(app) == before


def test_anonymous_visitors_are_sent_to_log_in_or_get_401(app, targets):
    before = _state(app)
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    for method, url in admin_operations(app, *targets):
        if url.startswith("/api/"):
            assert_json_error(client.open(url, method=method, json={}), 401, "log in")
        else:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/auth/login?next=")
    assert _state(app) == before


def test_admins_reach_every_admin_page(app, targets):
    client, _ = logged_in(app, "root")
    gets = [
        url for method, url in admin_operations(app, *targets) if method == "GET" and url.startswith("/admin")
    ]
    assert len(gets) >= 7
    for url in gets:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert "<h1>Admin</h1>" in response.get_data(as_text=True), url


def test_only_admins_see_the_admin_link(app, targets, user):
    link = 'href="/admin/status"'
    admin_client, _ = logged_in(app, "root")
    listener_client, _ = logged_in(app, "alice", "correct-horse")
    assert link in admin_client.get("/songs/").get_data(as_text=True)
    assert link not in listener_client.get("/songs/").get_data(as_text=True)


def test_admin_api_writes_with_a_cookie_need_the_csrf_header(app, targets, admin_headers):
    client, token = logged_in(app, "root")
    song_id = targets[0]
    response = client.patch(f"/api/v1/songs/{song_id}", json={"popularity": 1})
    assert_json_error(response, 400, "CSRF")
    ok = client.patch(f"/api/v1/songs/{song_id}", json={"popularity": 1}, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and ok.get_json()["song"]["popularity"] == 1
    # A Bearer token needs no CSRF header.
    by_token = client.patch(f"/api/v1/songs/{song_id}", json={"popularity": 2}, headers=admin_headers)
    assert by_token.status_code == 200


def test_admin_forms_need_the_csrf_token(app, targets):
    client, _ = logged_in(app, "root")
    response = client.post(f"/admin/users/{targets[1]}", data={"action": "demote"})
    assert response.status_code == 400 and "form expired" in response.get_data(as_text=True)
