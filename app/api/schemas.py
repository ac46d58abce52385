"""The API's schemas: query parameters and bodies it reads (and validates), and the answers it gives.

Request schemas parse and validate (app/api/parsing.py) and document; answer schemas document what
the services' JSON (browse.song_json, history.events_json, ...) holds. Answers are not dumped
through them: the services' JSON is shared with pages and caches, and tests/test_openapi.py and
Schemathesis hold the two to each other.
"""

from typing import ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..limits import MAX_PAGE
from ..services.activity.events import ACTIVITY_KINDS, validate_activity
from ..services.catalog.browse import SORTS
from ..services.recommendations.lists import APPROACHES
from ..spotify_csv.vocab import ACTIVITY_TAGS, AUDIO_FEATURES, EMOTIONS
from .fields import Id, JsonInteger, QueryInteger, QueryText, choice

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_K = 100


def described(text: str) -> dict[str, str]:
    """A field's metadata giving its description in the OpenAPI document (schemas_admin.py uses it too)."""
    return {"description": text}


# ---- query parameters ---------------------------------------------------------------------------


class PagingQuery(Schema):
    page = QueryInteger(1, MAX_PAGE, load_default=1, metadata=described("Page number."))
    per_page = QueryInteger(
        1, MAX_PER_PAGE, load_default=DEFAULT_PER_PAGE, metadata=described("Items per page.")
    )


class SongQuery(PagingQuery):
    q = QueryText(metadata=described("Text searched in title, artist and album."))
    genre = QueryText(metadata=described("Primary genre."))
    emotion = choice(EMOTIONS, metadata=described("Only songs with this emotion."))
    tag = QueryText(metadata=described(f"Activity tag ({', '.join(ACTIVITY_TAGS)}) or a genre."))
    explicit = fields.Boolean(metadata=described("true: explicit songs only; false: clean songs only."))
    sort = choice(tuple(SORTS), load_default="popularity", metadata=described("Order."))


class CountQuery(Schema):
    k = QueryInteger(1, MAX_K, load_default=10, metadata=described("How many results."))


class RecommendationFilterQuery(CountQuery):
    genre = QueryText(metadata=described("Only songs of this primary genre."))
    emotion = choice(EMOTIONS, metadata=described("Only songs with this emotion."))
    explicit = fields.Boolean(metadata=described("false: clean songs only."))


class RecommendationQuery(RecommendationFilterQuery):
    approach = choice(APPROACHES, load_default="for_you", metadata=described("Which engine."))


class CsrfHeader(Schema):
    csrf_token = fields.String(
        data_key="X-CSRFToken",
        metadata=described(
            "Required with cookie sessions (the page's csrf-token meta tag); not with a Bearer token."
        ),
    )


# ---- bodies -------------------------------------------------------------------------------------


class Body(Schema):
    """A JSON object; a field the schema does not name is refused (additionalProperties: false)."""

    class Meta:
        unknown = RAISE

    error_messages: ClassVar[dict[str, str]] = {
        "type": "Send a JSON object (Content-Type: application/json).",
        "unknown": "is not a field this request takes",
    }


class ActivityInput(Body):
    """Parses and validates: a rating carries its value 1-5; no other action takes one."""

    error_messages: ClassVar[dict[str, str]] = {
        **Body.error_messages,
        "type": 'Send a JSON object such as {"song_id": 3, "action": "like"}.',
    }

    song_id = Id(required=True)
    action = fields.String(
        required=True,
        validate=validate.OneOf(
            ACTIVITY_KINDS, error="unknown activity {input!r}: expected one of " + ", ".join(ACTIVITY_KINDS)
        ),
    )
    value = JsonInteger(1, 5, allow_none=True, metadata=described("The rating, for action 'rate'."))

    @validates_schema
    def _value_fits_the_action(self, data: dict, **kwargs: object) -> None:
        try:
            validate_activity(data["action"], data.get("value"))
        except ValueError as exc:
            raise ValidationError(str(exc), "value") from None


# The document gives the two shapes ActivityInput accepts, told apart by action, so that a client
# (or Schemathesis) generating from it never builds a body the server refuses.
class RatingInput(ActivityInput):
    action = fields.String(required=True, validate=validate.OneOf(["rate"]))
    value = JsonInteger(1, 5, required=True, metadata=described("The rating."))


class PlainActionInput(ActivityInput):
    action = fields.String(required=True, validate=validate.OneOf([k for k in ACTIVITY_KINDS if k != "rate"]))
    value = fields.Integer(
        allow_none=True,
        validate=validate.Equal(None),
        metadata=described("Only 'rate' takes a value: leave it out, or null."),
    )


ACTIVITY_BODY_DOC = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {"oneOf": [RatingInput, PlainActionInput]},
                "examples": {
                    "like": {"value": {"song_id": 3, "action": "like"}},
                    "rate": {"value": {"song_id": 3, "action": "rate", "value": 4}},
                },
            }
        }
    }
}


# ---- answers ------------------------------------------------------------------------------------


def nullable(field_class: type[fields.Field], **kwargs: object) -> fields.Field:
    """A field of `field_class` that may be null (answer schemas here and in schemas_admin.py)."""
    return field_class(allow_none=True, **kwargs)


def _texts() -> fields.List:
    return fields.List(fields.String())


FeaturesSchema = Schema.from_dict(
    {name: nullable(fields.Float, validate=validate.Range(0, 1)) for name in AUDIO_FEATURES}, name="Features"
)
SimilarInDatasetSchema = Schema.from_dict(
    {"artist": fields.String(), "title": fields.String(), "score": fields.Float()}, name="SimilarInDataset"
)


class SongSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    artist = fields.String(required=True)
    artists = _texts()
    album = nullable(fields.String)
    genre = nullable(fields.String)
    genres = _texts()
    emotion = nullable(fields.String, validate=validate.OneOf(EMOTIONS))
    explicit = nullable(fields.Boolean)
    popularity = nullable(fields.Integer, validate=validate.Range(0, 100))
    release_date = nullable(fields.Date)
    release_year = nullable(fields.Integer)
    duration_s = nullable(fields.Integer)
    key = nullable(fields.String, metadata={"example": "D minor"})
    tempo = nullable(fields.Float)
    loudness = nullable(fields.Float)
    time_signature = nullable(fields.Integer)
    features = fields.Nested(FeaturesSchema)
    tags = _texts()
    similar_in_dataset = fields.List(fields.Nested(SimilarInDatasetSchema))


class SongStateSchema(Schema):
    song_id = fields.Integer(required=True)
    liked = fields.Boolean(required=True)
    disliked = fields.Boolean(required=True)
    bookmarked = fields.Boolean(required=True)
    rating = nullable(fields.Integer, required=True, validate=validate.Range(1, 5))
    play_count = fields.Integer(required=True)
    last_played_at = nullable(fields.DateTime)


class SongDetailSchema(SongSchema):
    state = fields.Nested(SongStateSchema, required=True)


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of items with its position in the whole list."""
    positions = {key: fields.Integer(required=True) for key in ("page", "per_page", "total", "pages")}
    items = fields.List(fields.Nested(item), required=True)
    return Schema.from_dict({"items": items, **positions}, name=name)


SongPageSchema = page_of(SongSchema, "SongPage")


class RecommendationItemSchema(Schema):
    song = fields.Nested(SongSchema, required=True)
    score = fields.Float(required=True)
    approach = fields.String(required=True)
    reason = fields.String(
        required=True, metadata=described("Why this song, in words a listener understands.")
    )
    sources = fields.List(fields.String(), required=True)


class RecommendationsSchema(Schema):
    user_id = fields.Integer(required=True)
    approach = fields.String(required=True)
    k = fields.Integer(required=True)
    degraded = fields.Boolean(
        required=True,
        metadata=described("True when vectors were unavailable and popular songs were served."),
    )
    items = fields.List(fields.Nested(RecommendationItemSchema), required=True)


class SimilarSongsSchema(Schema):
    song_id = fields.Integer(required=True)
    degraded = fields.Boolean(required=True)
    items = fields.List(fields.Nested(RecommendationItemSchema), required=True)


class LegacyRecommendationSchema(SongSchema):
    score = fields.Float(required=True)
    reason = fields.String(required=True)


ActivitySongSchema = Schema.from_dict(
    {"id": fields.Integer(), "title": fields.String(), "artist": fields.String()}, name="ActivitySong"
)


class ActivitySchema(Schema):
    id = fields.Integer(required=True)
    song_id = fields.Integer(required=True)
    action = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    value = nullable(
        fields.Integer, validate=validate.Range(1, 5), metadata=described("The rating, for action 'rate'.")
    )
    created_at = fields.DateTime(required=True)
    song = nullable(fields.Nested, nested=ActivitySongSchema)


ActivityPageSchema = page_of(ActivitySchema, "ActivityPage")


class ActivityCreatedSchema(Schema):
    event = fields.Nested(ActivitySchema, required=True)
    state = fields.Nested(SongStateSchema, required=True)


CountsSchema = Schema.from_dict(
    {name: fields.Integer(required=True) for name in ("likes", "dislikes", "bookmarks", "ratings", "plays")},
    name="Counts",
)


class ProfileSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    age = nullable(fields.Integer)
    bio = nullable(fields.String)
    emotions = _texts()
    tags = _texts()
    is_admin = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    counts = fields.Nested(CountsSchema, required=True)


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"example": "Bad request"})
    message = fields.String(required=True)
    status = fields.Integer(required=True, metadata={"example": 400})
    fields_ = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        data_key="fields",
        metadata=described(
            "Validation errors only: a message for each invalid parameter or field (body: the whole body)."
        ),
    )
