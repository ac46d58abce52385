"""The OpenAPI description matches the routes: every API operation documented, nothing invented."""

import json
import re

import pytest

from app.services.catalog import SORTS
from app.services.recommendations import APPROACHES

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def openapi_path(rule):
    """A Flask rule in OpenAPI form: /songs/<int:song_id> -> /songs/{song_id}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def documented_rules(app):
    """(path, method) of every rule under /api/v1 and every legacy recommendation path."""
    operations = set()
    for rule in app.url_map.iter_rules():
        legacy = app.view_functions[rule.endpoint].__module__ == "app.recommendations.legacy"
        if rule.rule.startswith("/api/v1/") or legacy:
            operations |= {(openapi_path(rule.rule), m.lower()) for m in rule.methods - IGNORED_METHODS}
    return operations


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")  # public: no login
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_every_route_is_documented_and_every_operation_exists(app, document):
    routes = documented_rules(app)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert len(routes) >= 11  # 8 API operations, openapi.json, 3 legacy paths
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations that no route serves"


def test_path_parameters_are_declared(document):
    for path, item in document["paths"].items():
        expected = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == expected, (method, path)


def test_every_reference_resolves(document):
    refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(document))
    assert refs
    for ref in refs:
        node = document
        for part in ref.split("/"):
            assert part in node, ref
            node = node[part]


def test_schemas_security_and_enums(document):
    assert document["openapi"].startswith("3.")
    schemas = document["components"]["schemas"]
    assert {"Song", "RecommendationItem", "Activity", "Error"} <= set(schemas)
    assert set(schemas["Error"]["required"]) == {"error", "message", "status"}
    bearer = document["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    params = {p["name"]: p for p in document["paths"]["/api/v1/me/recommendations"]["get"]["parameters"]}
    assert params["approach"]["schema"]["enum"] == list(APPROACHES)
    sorts = {p["name"]: p for p in document["paths"]["/api/v1/songs"]["get"]["parameters"]}["sort"]
    assert sorts["schema"]["enum"] == list(SORTS)
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_documented_song_fields_match_the_api(client, app, user, demo_songs, document):
    from .api_support import bearer, new_token

    song = client.get("/api/v1/songs", headers=bearer(new_token(app, user))).get_json()["items"][0]
    assert set(song) == set(document["components"]["schemas"]["Song"]["properties"])
