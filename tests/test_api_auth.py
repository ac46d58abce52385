"""API authentication and authorization: sessions, Bearer tokens, CSRF, JSON errors everywhere."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ActivityEvent, ApiToken
from app.services.accounts import tokens
from app.services.activity import history

from .api_support import assert_json_error, bearer, fake_recommender, make_user, new_token, song_ids  # noqa: F401
from .conftest import csrf_token

PROTECTED = [
    "/api/v1/songs",
    "/api/v1/songs/1",
    "/api/v1/songs/1/similar",
    "/api/v1/me",
    "/api/v1/me/recommendations",
    "/api/v1/me/activities",
    "/recommendations/content_based_recommendations/1/",
    "/recommendations/collaborative_recommendations/1/",
    "/recommendations/knowledge_based/1/",
]
LEGACY = [path.rsplit("/", 2)[0] for path in PROTECTED if path.startswith("/recommendations/")]


@pytest.mark.parametrize("path", PROTECTED)
def test_anonymous_requests_get_a_json_401_not_a_redirect(client, path):
    response = client.get(path)
    assert_json_error(response, 401, "Bearer")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_anonymous_post_is_401_and_writes_nothing(client, app, demo_songs):
    response = client.post("/api/v1/me/activities", json={"song_id": song_ids(app, 1)[0], "action": "like"})
    assert_json_error(response, 401)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent)) == 0


def test_a_token_authenticates_without_creating_a_session(client, app, user):
    token = new_token(app, user)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["username"] == "alice"
    assert "Set-Cookie" not in response.headers
    # The token logged nobody in: the same client without it is anonymous.
    assert client.get("/api/v1/me").status_code == 401
    with app.app_context():
        row = db.session.scalar(sa.select(ApiToken))
        assert row.last_used_at is not None
        assert row.token_hash == tokens.hash_token(token) and token not in (row.token_hash, row.prefix)
        assert row.prefix == token[:8] and token.startswith("sb_")


def test_a_revoked_token_stops_working_and_others_keep_working(client, app, user):
    first, second = new_token(app, user, "laptop"), new_token(app, user, "phone")
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == "laptop"))
        assert tokens.revoke_token(user, token_id).revoked
    assert_json_error(client.get("/api/v1/me", headers=bearer(first)), 401, "revoked")
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


@pytest.mark.parametrize("header", ["Basic YWxpY2U6eA==", "Bearer", "Bearer sb_not-a-real-token", "Token x"])
def test_bad_authorization_headers_are_401(client, user, header):
    assert_json_error(client.get("/api/v1/me", headers={"Authorization": header}), 401)


def test_a_token_wins_over_a_session_cookie(client, app, auth):
    bob = make_user(app, "bob")
    auth.login()
    assert client.get("/api/v1/me").get_json()["username"] == "alice"
    assert client.get("/api/v1/me", headers=bearer(new_token(app, bob))).get_json()["username"] == "bob"


def test_token_service_scopes_revocation_to_the_owner(app, user):
    bob = make_user(app, "bob")
    with app.app_context():
        token, plaintext = tokens.create_token(bob, "bob's")
        assert tokens.revoke_token(user, token.id) is None  # alice cannot revoke bob's token
        assert tokens.user_for_token(plaintext).username == "bob"
        assert tokens.user_for_token(plaintext[:-1]) is None and tokens.user_for_token("") is None
        with pytest.raises(ValueError):
            tokens.create_token(bob, "   ")


def test_cookie_writes_need_the_csrf_header(client, app, auth, user, demo_songs):
    auth.login()
    song = song_ids(app, 1)[0]
    refused = client.post("/api/v1/me/activities", json={"song_id": song, "action": "like"})
    assert_json_error(refused, 400, "CSRF", "X-CSRFToken")
    wrong = client.post(
        "/api/v1/me/activities", json={"song_id": song, "action": "like"}, headers={"X-CSRFToken": "forged"}
    )
    assert_json_error(wrong, 400, "CSRF")
    with app.app_context():
        assert history.activity_page(user, 1, 10).total == 0
    token = csrf_token(client, "/songs/")
    accepted = client.post(
        "/api/v1/me/activities", json={"song_id": song, "action": "like"}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201 and accepted.get_json()["state"]["liked"] is True


def test_bearer_writes_need_no_csrf_token(client, app, user, demo_songs):
    song = song_ids(app, 1)[0]
    response = client.post(
        "/api/v1/me/activities",
        json={"song_id": song, "action": "bookmark"},
        headers=bearer(new_token(app, user)),
    )
    assert response.status_code == 201 and response.get_json()["state"]["bookmarked"] is True
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", LEGACY)
def test_legacy_paths_answer_own_id_and_admins_only(client, app, user, demo_songs, fake_recommender, path):
    bob = make_user(app, "bob")
    root = make_user(app, "root", admin=True)
    alice_token, root_token = new_token(app, user), new_token(app, root)
    own = client.get(f"{path}/{user}/", headers=bearer(alice_token))
    assert own.status_code == 200
    items = own.get_json()
    assert isinstance(items, list) and len(items) == 10
    assert {"id", "title", "artist", "score", "reason"} <= set(items[0]) and "song" not in items[0]
    assert_json_error(client.get(f"{path}/{bob}/", headers=bearer(alice_token)), 403)
    assert_json_error(client.get(f"{path}/99999/", headers=bearer(alice_token)), 404, "99999")
    as_admin = client.get(f"{path}/{bob}/", headers=bearer(root_token), query_string={"k": 3})
    assert as_admin.status_code == 200 and len(as_admin.get_json()) == 3
    # Each path asks the service for its own approach, for the user in the path.
    approaches = {call[2] for call in fake_recommender.calls}
    assert len(approaches) == 1 and fake_recommender.calls[-1][1:4] == (bob, approaches.pop(), 3)
    assert_json_error(
        client.get(f"{path}/{user}/", headers=bearer(alice_token), query_string={"k": 0}), 400, "k"
    )


def test_legacy_paths_map_to_the_three_approaches(client, app, user, demo_songs, fake_recommender):
    token = new_token(app, user)
    for path in LEGACY:
        assert client.get(f"{path}/{user}/", headers=bearer(token)).status_code == 200
    assert [call[2] for call in fake_recommender.calls] == ["content", "collaborative", "knowledge"]


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("put", "/api/v1/songs", 405),  # POST is an admin write now
        ("delete", "/api/v1/me/activities", 405),
        ("post", "/recommendations/knowledge_based/1/", 405),
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/recommendations/content_based_recommendations/abc/", 404),
    ],
)
def test_routing_errors_under_the_api_are_json(client, method, path, status):
    response = getattr(client, method)(path)
    assert_json_error(response, status)
    if status == 405:
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]


def test_server_errors_under_the_api_are_json_without_a_traceback(client, app, user, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(user_id):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(history, "user_counts", broken)
    response = client.get("/api/v1/me", headers=bearer(new_token(app, user)))
    assert_json_error(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)


def test_site_pages_keep_their_html_errors(client, auth):
    auth.login()
    response = client.get("/songs/999999")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_every_api_route_is_where_tokens_are_accepted(app):
    from app.api.auth import TOKEN_PATHS

    rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert len(rules) >= 14
    assert [rule for rule in rules if not rule.startswith(TOKEN_PATHS)] == []


def test_a_token_logs_nobody_in_on_the_sites_pages(client, app, user):
    token = new_token(app, user)
    response = client.get("/profile/", headers=bearer(token))
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_token_request_neither_reads_nor_writes_the_session(client, app, auth):
    auth.login()
    bob = make_user(app, "bob")
    response = client.post(
        "/api/v1/me/activities", json={"song_id": 1, "action": "like"}, headers=bearer(new_token(app, bob))
    )
    assert_json_error(response, 404)  # bob's request got past CSRF (tokens need none) to the song lookup
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/v1/me").get_json()["username"] == "alice"  # the browser's session is intact
