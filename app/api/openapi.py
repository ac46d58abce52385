"""GET /api/v1/openapi.json: a hand-written OpenAPI 3 description of the API and the legacy paths."""

from ..catalog import vocab
from ..services.catalog import SORTS
from ..services.recommendations import APPROACHES
from . import bp
from .openapi_admin import ADMIN_PATHS, ADMIN_RESPONSES, ADMIN_SCHEMAS
from .openapi_schemas import ID, RESPONSES, SCHEMAS, SECURITY_SCHEMES
from .params import DEFAULT_PER_PAGE, MAX_K, MAX_PAGE, MAX_PER_PAGE


def _query(name, schema, description, required=False):
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _path_param(name):
    return {"name": name, "in": "path", "required": True, "schema": dict(ID)}


def _json(schema_name, description, array=False):
    schema = {"$ref": f"#/components/schemas/{schema_name}"}
    if array:
        schema = {"type": "array", "items": schema}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "TooLarge"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page number."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
           "Items per page."),
]
K = _query("k", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10}, "How many results.")
EMOTION = _query("emotion", {"type": "string", "enum": list(vocab.EMOTIONS)}, "Only songs with this emotion.")
REC_FILTERS = [
    _query("genre", {"type": "string"}, "Only songs of this primary genre."),
    EMOTION,
    _query("explicit", {"type": "boolean"}, "false: clean songs only."),
]
CSRF_HEADER = {
    "name": "X-CSRFToken", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "Required with cookie sessions (the page's csrf-token meta tag); not with a Bearer token.",
}


def _legacy(path_name, approach):
    return f"/recommendations/{path_name}/{{user_id}}/", {
        "get": {
            "tags": ["legacy"],
            "operationId": f"legacy_{path_name}",
            "summary": f"The original {approach} recommendations of a user, as a list",
            "description": "Your own id, or any id when you are an admin.",
            "parameters": [_path_param("user_id"), K, *REC_FILTERS],
            "responses": {
                "200": {**_json("LegacyRecommendation", "Recommended songs, best first.", array=True),
                        "headers": {"X-Songbird-Degraded": {
                            "description": "1 when the vector store was unavailable and these are the "
                                           "popular songs instead; 0 otherwise.",
                            "schema": {"type": "string", "enum": ["0", "1"]}}}},
                **_errors(400, 401, 403, 404),
            },
        }
    }


PATHS = {
    "/api/v1/openapi.json": {
        "get": {
            "tags": ["meta"], "operationId": "openapi", "summary": "This description", "security": [],
            "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}},
        }
    },
    "/api/v1/songs": {
        "get": {
            "tags": ["songs"], "operationId": "list_songs", "summary": "Search and filter the catalog",
            "parameters": [
                _query("q", {"type": "string"}, "Text searched in title, artist and album."),
                _query("genre", {"type": "string"}, "Primary genre."),
                EMOTION,
                _query("tag", {"type": "string"}, f"Activity tag ({', '.join(vocab.ACTIVITY_TAGS)}) or a genre."),
                _query("explicit", {"type": "boolean"}, "true: explicit songs only; false: clean songs only."),
                _query("sort", {"type": "string", "enum": list(SORTS), "default": "popularity"}, "Order."),
                *PAGING,
            ],
            "responses": {"200": _json("SongPage", "A page of songs."), **_errors(400, 401)},
        }
    },
    "/api/v1/songs/{song_id}": {
        "get": {
            "tags": ["songs"], "operationId": "show_song", "summary": "One song, with your state for it",
            "parameters": [_path_param("song_id")],
            "responses": {"200": _json("SongDetail", "The song."), **_errors(401, 404)},
        }
    },
    "/api/v1/songs/{song_id}/similar": {
        "get": {
            "tags": ["songs"], "operationId": "similar_songs", "summary": "Songs like this one",
            "parameters": [_path_param("song_id"), K],
            "responses": {"200": _json("SimilarSongs", "Similar songs, best first."), **_errors(400, 401, 404)},
        }
    },
    "/api/v1/me": {
        "get": {
            "tags": ["me"], "operationId": "profile", "summary": "Your profile and activity counts",
            "responses": {"200": _json("Profile", "Your profile."), **_errors(401)},
        }
    },
    "/api/v1/me/recommendations": {
        "get": {
            "tags": ["me"], "operationId": "recommendations", "summary": "Your recommendations, explained",
            "parameters": [
                _query("approach", {"type": "string", "enum": list(APPROACHES), "default": "for_you"}, "Which engine."),
                K, *REC_FILTERS,
            ],
            "responses": {"200": _json("Recommendations", "Recommended songs, best first."), **_errors(400, 401)},
        }
    },
    "/api/v1/me/activities": {
        "get": {
            "tags": ["me"], "operationId": "activities", "summary": "Your activity log, newest first",
            "parameters": PAGING,
            "responses": {"200": _json("ActivityPage", "A page of events."), **_errors(400, 401)},
        },
        "post": {
            "tags": ["me"], "operationId": "add_activity",
            "summary": "Play, like, rate, bookmark or dislike a song (and undo)",
            "description": "Your recommendations reflect it from the next request on.",
            "parameters": [CSRF_HEADER],
            "requestBody": {
                "required": True,
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ActivityInput"},
                    "examples": {
                        "like": {"value": {"song_id": 3, "action": "like"}},
                        "rate": {"value": {"song_id": 3, "action": "rate", "value": 4}},
                    },
                }},
            },
            "responses": {"201": _json("ActivityCreated", "The event and your new state for the song."),
                          **_errors(400, 401, 404, 413)},
        },
    },
    **dict([
        _legacy("content_based_recommendations", "content-based"),
        _legacy("collaborative_recommendations", "collaborative"),
        _legacy("knowledge_based", "knowledge-based"),
    ]),
}

# Admin operations share paths with the readers' ones (/songs), so they merge path by path.
for _path, _operations in ADMIN_PATHS.items():
    PATHS[_path] = {**PATHS.get(_path, {}), **_operations}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Songbird API",
        "version": "1.0.0",
        "description": "Songs, your activity and explained recommendations. Errors are JSON: "
                       '{"error", "message", "status"}.',
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    "paths": PATHS,
    "components": {"schemas": {**SCHEMAS, **ADMIN_SCHEMAS}, "securitySchemes": SECURITY_SCHEMES,
                   "responses": {**RESPONSES, **ADMIN_RESPONSES}},
}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description (public: it holds no data)."""
    return DOCUMENT
