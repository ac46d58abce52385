"""The OpenAPI description of the admin routes (songs written, users, status); openapi.py merges it."""

from ..catalog.validation import LIST_FIELDS, MAX_LIST_ITEMS, NUMBER_RANGES, REQUIRED, TEXT_LIMITS
from ..catalog.vocab import EMOTIONS, FLAG_COLUMNS
from .openapi_schemas import ID, _array, _nullable, _object, _ref
from .params import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE

_INT, _STR, _BOOL = ({"type": t} for t in ("integer", "string", "boolean"))
_TIME = {"type": "string", "format": "date-time"}
ADMIN_ONLY = "Admins only (others get 403)."
CSRF_HEADER = {
    "name": "X-CSRFToken", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "Required with cookie sessions (the page's csrf-token meta tag); not with a Bearer token.",
}
INDEX = {"type": "string", "enum": ["ok", "pending"],
         "description": "pending: the vector store failed; the song is marked and `flask vectors sync` "
                        "(or its next edit) indexes it."}


def _number(name):
    low, high, whole = NUMBER_RANGES[name]
    return _nullable("integer" if whole else "number", minimum=low, maximum=high)


def _text(name, limit):
    if name in REQUIRED:  # a title and an artist are never null or blank, on create or edit
        return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": r"\S"}
    return _nullable("string", maxLength=limit)


def _list(name):
    # null clears the list, as [] does (app/catalog/validation.py)
    return {**_array({"type": "string", "maxLength": LIST_FIELDS[name]}), "maxItems": MAX_LIST_ITEMS, "nullable": True}


SONG_INPUT = _object(
    (),
    **{name: _text(name, limit) for name, limit in TEXT_LIMITS.items()},
    **{name: _number(name) for name in NUMBER_RANGES},
    **{name: _nullable("boolean") for name in ("explicit", *FLAG_COLUMNS)},
    genres={**_list("genres"), "description": "The first is the primary genre (the `genre` filter); null: none."},
    artists=_list("artists"),
    emotion=_nullable("string", enum=[*EMOTIONS, None]),
    release_date=_nullable("string", format="date"),
)
SONG_INPUT["description"] = "Song fields to change (a new song: SongCreate). Unknown fields are refused."
SONG_INPUT["additionalProperties"] = False
SONG_CREATE = {**SONG_INPUT, "required": list(REQUIRED), "description": "A new song: title and artist required."}

ADMIN_USER = _object(
    ("id", "username", "is_admin", "is_active", "created_at"),
    id=_INT, username=_STR, is_admin=_BOOL, is_active=_BOOL, created_at=_TIME,
)
COUNTS = _object(
    ("likes", "dislikes", "bookmarks", "ratings", "plays", "events", "api_tokens"),
    **{name: _INT for name in ("likes", "dislikes", "bookmarks", "ratings", "plays", "events", "api_tokens")},
)
ADMIN_SCHEMAS = {
    "SongInput": SONG_INPUT,
    "SongCreate": SONG_CREATE,
    "SongWritten": _object(("song", "index", "changed"), song=_ref("Song"), index=INDEX, changed=_array(_STR)),
    "SongDeleted": _object(("deleted", "index", "users_updated"), deleted=_INT, index=INDEX, users_updated=_INT),
    "ValidationError": {"allOf": [_ref("Error"), _object(
        (), fields={"type": "object", "additionalProperties": _STR,
                             "description": "A message for each invalid field."})]},
    "AdminUser": ADMIN_USER,
    "AdminUserDetail": {"allOf": [_ref("AdminUser"), _object(
        ("counts",), age=_nullable("integer"), bio=_nullable("string"), emotions=_array(_STR),
        tags=_array(_STR), counts=COUNTS)]},
    "AdminUserPage": _object(("items", "page", "per_page", "total", "pages"), items=_array(_ref("AdminUser")),
                             page=_INT, per_page=_INT, total=_INT, pages=_INT),
    "UserFlags": {**_object((), is_admin=_BOOL, is_active=_BOOL), "additionalProperties": False,
                  "minProperties": 1},
    "UserChanged": _object(("user", "actions"), user=_ref("AdminUserDetail"), actions=_array(_STR)),
    "SystemStatus": _object(
        ("database", "vector_store"),
        database=_object(("status",), status=_STR), vector_store=_object(("status",), status=_STR),
        counts={"type": "object", "additionalProperties": _INT},
        vectors={"type": "object", "description": "As `flask vectors status --json`."},
        last_seed_run={"type": "object", "nullable": True},
        audit=_array(_object(("id", "created_at", "actor", "via", "action", "target"),
                             id=_INT, created_at=_TIME, actor={"type": "object"}, via=_STR, action=_STR,
                             target={"type": "object"}, details={"type": "object"})),
    ),
}

ADMIN_RESPONSES = {
    "Invalid": {"description": "Invalid fields, each named in `fields` with its message (or a body that is "
                               "not a JSON object, or a failed CSRF check for cookie sessions).",
                "content": {"application/json": {"schema": _ref("ValidationError")}}},
    "Conflict": {"description": "The change conflicts with the current state.",
                 "content": {"application/json": {"schema": _ref("Error")}}},
}


def _resp(name):
    return {"$ref": f"#/components/responses/{name}"}


def _errors(*codes):
    names = {400: "Invalid", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             413: "TooLarge"}
    return {str(code): _resp(names[code]) for code in codes}


def _ok(schema, description):
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _op(op_id, summary, responses, parameters=(), body=None, tag="admin"):
    operation = {"tags": [tag], "operationId": op_id, "summary": summary, "description": ADMIN_ONLY,
                 "responses": responses}
    if parameters:
        operation["parameters"] = list(parameters)
    if body:
        operation["requestBody"] = _body(body)
    return operation


def _path(name):
    return {"name": name, "in": "path", "required": True, "schema": dict(ID)}


def _query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


SONG_ID, USER_ID = _path("song_id"), _path("user_id")
ADMIN_PATHS = {
    "/api/v1/songs": {"post": _op(
        "create_song", "Add a song", {"201": _ok("SongWritten", "The new song."), **_errors(400, 401, 403, 409, 413)},
        [CSRF_HEADER], "SongCreate")},
    "/api/v1/songs/{song_id}": {
        "patch": _op("update_song", "Change some fields of a song (a text change re-embeds it)",
                     {"200": _ok("SongWritten", "The song as saved."), **_errors(400, 401, 403, 404, 413)},
                     [SONG_ID, CSRF_HEADER], "SongInput"),
        "delete": _op("delete_song", "Delete a song, its activity rows and its point",
                      {"200": _ok("SongDeleted", "What was removed."), **_errors(401, 403, 404)},
                      [SONG_ID, CSRF_HEADER]),
    },
    "/api/v1/users": {"get": _op(
        "list_users", "Search users by name",
        {"200": _ok("AdminUserPage", "A page of users."), "400": _resp("BadRequest"), **_errors(401, 403)},
        [_query("q", {"type": "string"}, "Part of the username."),
         _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page number."),
         _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                             "default": DEFAULT_PER_PAGE}, "Items per page.")])},
    "/api/v1/users/{user_id}": {
        "get": _op("show_user", "A user's profile and activity counts",
                   {"200": _ok("AdminUserDetail", "The user."), **_errors(401, 403, 404)}, [USER_ID]),
        "patch": _op("update_user", "Promote/demote (is_admin), deactivate/reactivate (is_active)",
                     {"200": _ok("UserChanged", "The user and the actions taken."),
                      **_errors(400, 401, 403, 404, 409, 413)},
                     [USER_ID, CSRF_HEADER], "UserFlags"),
    },
    "/api/v1/status": {"get": _op(
        "system_status", "Counts, vector index against SQL, last seeding, reachability, latest audit entries",
        {"200": _ok("SystemStatus", "The system's state."), **_errors(401, 403)})},
}
