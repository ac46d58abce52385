"""The OpenAPI components: what the API's bodies look like, and how callers authenticate."""

from ..catalog.vocab import AUDIO_FEATURES, EMOTIONS
from ..limits import DB_INT_MAX
from ..models import ACTIVITY_KINDS


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_, **extra):
    return {"type": type_, "nullable": True, **extra}


def _object(required=(), **properties):
    return {"type": "object", "required": list(required), "properties": properties}


def _array(items):
    return {"type": "array", "items": items}


_INT, _NUM, _STR, _BOOL = ({"type": t} for t in ("integer", "number", "string", "boolean"))
# Ids the API accepts: the database's integer range (outside it: 400 in a body, 404 in a path).
ID = {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX}
_TIME = {"type": "string", "format": "date-time"}

# OpenAPI 3.0.3: with an enum, nullable only admits null when null is in the enum too.
SONG = _object(
    ("id", "title", "artist"),
    id=_INT, title=_STR, artist=_STR, artists=_array(_STR), album=_nullable("string"),
    genre=_nullable("string"), genres=_array(_STR), emotion=_nullable("string", enum=[*EMOTIONS, None]),
    explicit=_nullable("boolean"), popularity=_nullable("integer", minimum=0, maximum=100),
    release_date=_nullable("string", format="date"), release_year=_nullable("integer"),
    duration_s=_nullable("integer"), key=_nullable("string", example="D minor"),
    tempo=_nullable("number"), loudness=_nullable("number"), time_signature=_nullable("integer"),
    features=_object(**{name: _nullable("number", minimum=0, maximum=1) for name in AUDIO_FEATURES}),
    tags=_array(_STR),
    similar_in_dataset=_array(_object(artist=_STR, title=_STR, score=_NUM)),
)

SONG_STATE = _object(
    ("song_id", "liked", "disliked", "bookmarked", "rating", "play_count"),
    song_id=_INT, liked=_BOOL, disliked=_BOOL, bookmarked=_BOOL,
    rating=_nullable("integer", minimum=1, maximum=5), play_count=_INT,
    last_played_at=_nullable("string", format="date-time"),
)

RECOMMENDATION_ITEM = _object(
    ("song", "score", "approach", "reason", "sources"),
    song=_ref("Song"), score=_NUM, approach=_STR,
    reason={"type": "string", "description": "Why this song, in words a listener understands."},
    sources=_array(_STR),
)


def _page(item):
    return _object(
        ("items", "page", "per_page", "total", "pages"),
        items=_array(item), page=_INT, per_page=_INT, total=_INT, pages=_INT,
    )


ACTIVITY = _object(
    ("id", "song_id", "action", "created_at"),
    id=_INT, song_id=_INT, action={"type": "string", "enum": list(ACTIVITY_KINDS)},
    value=_nullable("integer", minimum=1, maximum=5, description="The rating, for action 'rate'."),
    created_at=_TIME,
    song={**_object(id=_INT, title=_STR, artist=_STR), "nullable": True},
)

SCHEMAS = {
    "Song": SONG,
    "SongState": SONG_STATE,
    "SongDetail": {"allOf": [_ref("Song"), _object(("state",), state=_ref("SongState"))]},
    "SongPage": _page(_ref("Song")),
    "RecommendationItem": RECOMMENDATION_ITEM,
    "Recommendations": _object(
        ("user_id", "approach", "k", "degraded", "items"),
        user_id=_INT, approach=_STR, k=_INT,
        degraded={"type": "boolean",
                  "description": "True when vectors were unavailable and popular songs were served."},
        items=_array(_ref("RecommendationItem")),
    ),
    "SimilarSongs": _object(
        ("song_id", "degraded", "items"), song_id=_INT, degraded=_BOOL, items=_array(_ref("RecommendationItem"))
    ),
    "LegacyRecommendation": {"allOf": [_ref("Song"), _object(("score", "reason"), score=_NUM, reason=_STR)]},
    "Activity": ACTIVITY,
    "ActivityPage": _page(_ref("Activity")),
    # Two shapes, told apart by action: a rating carries its value; every other action has none
    # (absent, or null as many clients send it).
    "ActivityInput": {"oneOf": [
        _object(("song_id", "action", "value"), song_id=ID, action={"type": "string", "enum": ["rate"]},
                value={"type": "integer", "minimum": 1, "maximum": 5, "description": "The rating."}),
        _object(("song_id", "action"), song_id=ID,
                action={"type": "string", "enum": [kind for kind in ACTIVITY_KINDS if kind != "rate"]},
                value={"type": "integer", "nullable": True, "enum": [None],
                       "description": "Only 'rate' takes a value: leave it out, or null."}),
    ]},
    "ActivityCreated": _object(("event", "state"), event=_ref("Activity"), state=_ref("SongState")),
    "Profile": _object(
        ("id", "username", "is_admin", "created_at", "counts"),
        id=_INT, username=_STR, age=_nullable("integer"), bio=_nullable("string"),
        emotions=_array(_STR), tags=_array(_STR), is_admin=_BOOL, created_at=_TIME,
        counts=_object(("likes", "dislikes", "bookmarks", "ratings", "plays"),
                       likes=_INT, dislikes=_INT, bookmarks=_INT, ratings=_INT, plays=_INT),
    ),
    "Error": _object(
        ("error", "message", "status"),
        error={"type": "string", "example": "Bad request"}, message=_STR, status={"type": "integer", "example": 400},
    ),
}

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http", "scheme": "bearer",
        "description": "An API token from `flask users token USERNAME`; exempt from CSRF.",
    },
    "cookieAuth": {
        "type": "apiKey", "in": "cookie", "name": "session",
        "description": "The site's login session; writes also need the X-CSRFToken header.",
    },
}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


RESPONSES = {
    "BadRequest": _error("A parameter or the body is invalid (or, for cookie sessions, the CSRF token)."),
    "Unauthorized": _error("Not logged in, or the token is unknown or revoked."),
    "Forbidden": _error("Another user's data, and the caller is not an admin."),
    "NotFound": _error("No such user or song."),
    "TooLarge": _error("The body is larger than the server accepts (MAX_CONTENT_LENGTH, 2 MiB)."),
}
