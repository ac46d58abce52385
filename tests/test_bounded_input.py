"""Finding 2 of issue 12: ids, pages, JSON nesting and body size are bounded: 404, 400 or 413, never 500."""

import json

import pytest
from werkzeug.routing import IntegerConverter

from app.limits import DB_INT_MAX, MAX_PAGE

from .admin_support import PASSWORD, admin, admin_headers  # noqa: F401
from .api_support import bearer, new_token, song_ids

TOO_BIG = DB_INT_MAX + 1  # 2**63: SQLite raised OverflowError for it
DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def app_settings():
    # Without CSRF a page's POST reaches its view, where an unbounded id used to meet SQL.
    return {"QDRANT_LOCATION": ":memory:", "WTF_CSRF_ENABLED": False, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def admin_client(app, admin, demo_songs):
    client = app.test_client()
    assert client.post("/auth/login", data={"username": "root", "password": PASSWORD}).status_code == 302
    return client


def _id_routes(app):
    """(method, path template, id names) of every route with an integer id in its path."""
    for rule in app.url_map.iter_rules():
        names = [
            name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if names:
                yield method, rule, names


@pytest.mark.parametrize(
    "value, expected", [(TOO_BIG, {404}), (10**30, {404}), (0, {404}), (DB_INT_MAX, {400, 404})]
)  # in range: the view answers
def test_every_id_in_a_path_is_404_outside_the_rows_not_500(app, admin_client, value, expected):
    routes = list(_id_routes(app))
    assert len(routes) >= 16  # songs, users, tokens, legacy paths, admin pages: every kind of place
    for method, rule, names in routes:
        path = rule.rule
        for name in names:
            path = path.replace(f"<int:{name}>", str(value))
        response = admin_client.open(path, method=method, json={} if method in ("PATCH", "POST") else None)
        assert response.status_code in expected, (method, path, response.status_code)


@pytest.mark.parametrize("path", ["/api/v1/songs", "/api/v1/me/activities", "/api/v1/users"])
@pytest.mark.parametrize("page", [TOO_BIG, MAX_PAGE + 1, 0, "1_0", ""])
def test_api_pages_outside_the_range_are_400(client, admin_headers, path, page):
    response = client.get(path, query_string={"page": page}, headers=admin_headers)
    assert response.status_code == 400 and response.is_json and "page" in response.get_json()["message"]


@pytest.mark.parametrize("path", ["/songs/", "/library/", "/admin/songs", "/admin/users"])
def test_page_numbers_on_pages_outside_the_range_are_400(admin_client, path):
    assert admin_client.get(path, query_string={"page": TOO_BIG}).status_code == 400
    assert admin_client.get(path, query_string={"page": MAX_PAGE}).status_code == 200  # far, but empty


@pytest.mark.parametrize("song_id", [TOO_BIG, -1, 0, 2**64])
def test_a_json_song_id_outside_the_range_is_400(app, client, admin, song_id):
    token = bearer(new_token(app, admin))
    response = client.post(
        "/api/v1/me/activities", json={"song_id": song_id, "action": "like"}, headers=token
    )
    assert response.status_code == 400 and "song_id" in response.get_json()["message"]


def test_numbers_in_song_fields_beyond_the_range_are_400(client, admin_headers, demo_songs):
    response = client.post(
        "/api/v1/songs", json={"title": "t", "artist": "a", "popularity": TOO_BIG}, headers=admin_headers
    )
    assert response.status_code == 400 and "popularity" in response.get_json()["fields"]


@pytest.mark.parametrize(
    "method, path, wrap",
    [
        ("post", "/api/v1/me/activities", lambda deep: deep),
        ("post", "/api/v1/songs", lambda deep: '{"title": ' + deep + "}"),
        ("patch", "/api/v1/users/1", lambda deep: '{"is_admin": ' + deep + "}"),
    ],
)
def test_json_nested_5000_deep_is_400(client, admin_headers, method, path, wrap):
    response = getattr(client, method)(
        path, data=wrap(DEEP), content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 400 and response.is_json


def test_json_nested_33_deep_is_refused_and_32_is_parsed(app):
    from app.limits import json_depth_exceeds

    assert json_depth_exceeds(json.loads("[" * 33 + "]" * 33))
    assert not json_depth_exceeds(json.loads("[" * 32 + "]" * 32))
    with pytest.raises(ValueError, match="nested"):
        app.json.loads("[" * 5000 + "]" * 5000)


def test_malformed_json_is_400(client, admin_headers):
    response = client.post(
        "/api/v1/me/activities", data='{"song_id": 1,', content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 400 and response.is_json


TWELVE_MB = 12 * 1024 * 1024


def test_a_body_over_the_limit_is_413_json_on_the_api(client, admin_headers, demo_songs):
    body = json.dumps({"song_id": 1, "action": "like", "pad": "x" * TWELVE_MB})
    response = client.post(
        "/api/v1/me/activities", data=body, content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 413 and response.is_json
    assert response.get_json()["status"] == 413
    # Even where the route never reads a body, a declared oversized one is refused.
    assert client.get("/api/v1/me", data=b"z" * TWELVE_MB, headers=admin_headers).status_code == 413


def test_a_body_over_the_limit_is_413_as_a_page_elsewhere(client):
    response = client.post("/auth/login", data={"username": "x" * TWELVE_MB, "password": "p"})
    assert response.status_code == 413
    assert response.mimetype == "text/html" and "<html" in response.get_data(as_text=True).lower()


def test_the_largest_legitimate_body_is_accepted(app, client, admin_headers):
    # 100,000 characters of lyrics (the field's limit), each an astral character sent as a JSON
    # \\u escape pair: about 1.2 MB, the worst case the limit was sized for.
    body = json.dumps({"title": "Long", "artist": "Lyricist", "lyrics": "\U0001f3b5" * 100_000})
    assert len(body) > 1_100_000
    response = client.post("/api/v1/songs", data=body, content_type="application/json", headers=admin_headers)
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert song_ids(app)  # it was stored
