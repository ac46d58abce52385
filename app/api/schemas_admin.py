"""The admin operations' schemas: song bodies built from the catalog's own rules, user flags, answers.

A song body's fields, bounds and limits come from app/spotify_csv/validation.py's tables, the ones the
admin pages' forms are checked against (validate_song), and each message uses validate_song's words,
so a bad field reads the same from the API and from a page. The schema refuses what it can describe;
the service still runs validate_song on what passes (a list that repeats an item, for instance).
"""

import datetime as dt
from typing import ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..spotify_csv.validation import LIST_FIELDS, MAX_LIST_ITEMS, NUMBER_RANGES, REQUIRED, TEXT_LIMITS
from ..spotify_csv.vocab import EMOTIONS, FLAG_COLUMNS
from .fields import JsonBoolean, JsonInteger, JsonNumber, QueryText, choice
from .schemas import Body, PagingQuery, SongSchema, described, nullable, page_of

ADMIN_ONLY = "Admins only (others get 403)."
INDEX = {
    "description": "pending: the vector store failed; the song is marked and `flask vectors sync` "
    "(or its next edit) indexes it."
}
REQUIRED_MESSAGES = {"required": "is required", "null": "is required"}


def _iso_date(value: str) -> None:
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError("must be a date written YYYY-MM-DD") from None


def _text(name: str, limit: int, required: bool) -> fields.String:
    length = validate.Length(max=limit, error=f"must be at most {limit} characters")
    if name in REQUIRED:  # a title and an artist are never null or blank, on create or edit
        blank = validate.Regexp(r"\S", error="is required")
        return fields.String(
            required=required,
            validate=[length, blank],
            error_messages={**REQUIRED_MESSAGES, "invalid": "must be text"},
        )
    return nullable(fields.String, validate=length, error_messages={"invalid": "must be text"})


def _number(name: str) -> fields.Field:
    low, high, whole = NUMBER_RANGES[name]
    return (JsonInteger if whole else JsonNumber)(low, high, allow_none=True)


def _list(name: str, **kwargs: object) -> fields.List:
    limit = LIST_FIELDS[name]
    length = validate.Length(max=limit, error=f"each item must be at most {limit} characters")
    item = fields.String(validate=length, error_messages={"invalid": "must be text"})
    # null clears the list, as [] does (app/spotify_csv/validation.py)
    count = validate.Length(max=MAX_LIST_ITEMS, error=f"must have at most {MAX_LIST_ITEMS} items")
    return fields.List(
        item, allow_none=True, validate=count, error_messages={"invalid": "must be a list of text"}, **kwargs
    )


def song_fields(required: bool) -> dict[str, fields.Field]:
    """A song body's fields; title and artist required when `required` (a new song)."""
    return {
        **{name: _text(name, limit, required) for name, limit in TEXT_LIMITS.items()},
        **{name: _number(name) for name in NUMBER_RANGES},
        **{name: JsonBoolean(allow_none=True) for name in ("explicit", *FLAG_COLUMNS)},
        "genres": _list(
            "genres", metadata=described("The first is the primary genre (the `genre` filter); null: none.")
        ),
        "artists": _list("artists"),
        "emotion": choice(
            EMOTIONS, allow_none=True, error=f"must be one of: {', '.join(EMOTIONS)} (or null)"
        ),
        # Kept as the text sent: validate_song reads it, as it reads the admin form's.
        "release_date": nullable(
            fields.String,
            validate=_iso_date,
            metadata={"format": "date"},
            error_messages={"invalid": "must be a date written YYYY-MM-DD"},
        ),
    }


class SongBody(Body):
    error_messages: ClassVar[dict[str, str]] = {
        **Body.error_messages,
        "unknown": "is not a field a song can be given",
    }

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _genre_is_derived(self, data: dict, original_data: object, **kwargs: object) -> None:
        if isinstance(original_data, dict) and "genre" in original_data:
            raise ValidationError("set genres instead: the first of them is the primary genre", "genre")


SongCreateSchema = SongBody.from_dict(song_fields(required=True), name="SongCreate")
SongInputSchema = SongBody.from_dict(song_fields(required=False), name="SongInput")


class UserFlagsSchema(Body):
    """Promote/demote with is_admin, deactivate/reactivate with is_active; at least one."""

    error_messages: ClassVar[dict[str, str]] = {
        **Body.error_messages,
        "unknown": "is not a field that can be changed here",
    }
    is_admin = JsonBoolean()
    is_active = JsonBoolean()

    @validates_schema
    def _something_to_change(self, data: dict, **kwargs: object) -> None:
        if not data:
            raise ValidationError("give at least one of is_admin, is_active")


class UserQuery(PagingQuery):
    q = QueryText(64, metadata=described("Part of the username."))


# ---- answers ------------------------------------------------------------------------------------


class SongWrittenSchema(Schema):
    song = fields.Nested(SongSchema, required=True)
    index = fields.String(required=True, validate=validate.OneOf(["ok", "pending"]), metadata=INDEX)
    changed = fields.List(fields.String(), required=True)


class SongDeletedSchema(Schema):
    deleted = fields.Integer(required=True)
    index = fields.String(required=True, validate=validate.OneOf(["ok", "pending"]), metadata=INDEX)
    users_updated = fields.Integer(required=True)


class AdminUserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    is_admin = fields.Boolean(required=True)
    is_active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


ADMIN_COUNTS = ("likes", "dislikes", "bookmarks", "ratings", "plays", "events", "api_tokens")
AdminCountsSchema = Schema.from_dict(
    {name: fields.Integer(required=True) for name in ADMIN_COUNTS}, name="AdminCounts"
)


class AdminUserDetailSchema(AdminUserSchema):
    age = nullable(fields.Integer)
    bio = nullable(fields.String)
    emotions = fields.List(fields.String())
    tags = fields.List(fields.String())
    counts = fields.Nested(AdminCountsSchema, required=True)


AdminUserPageSchema = page_of(AdminUserSchema, "AdminUserPage")


class UserChangedSchema(Schema):
    user = fields.Nested(AdminUserDetailSchema, required=True)
    actions = fields.List(fields.String(), required=True)


DatabaseStatusSchema = Schema.from_dict({"status": fields.String(required=True)}, name="DatabaseStatus")
VectorStoreStatusSchema = Schema.from_dict(
    {
        "status": fields.String(required=True),
        "collections": fields.Dict(
            keys=fields.String(),
            values=fields.String(),
            required=True,
            metadata=described("Each collection: ok, or why not (points against SQL)."),
        ),
    },
    name="VectorStoreStatus",
)


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    actor = fields.Dict(required=True)
    via = fields.String(required=True)
    action = fields.String(required=True)
    target = fields.Dict(required=True)
    details = fields.Dict()


class SystemStatusSchema(Schema):
    database = fields.Nested(DatabaseStatusSchema, required=True)
    vector_store = fields.Nested(VectorStoreStatusSchema, required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    vectors = fields.Dict(metadata=described("As `flask vectors status --json`."))
    last_seed_run = nullable(fields.Dict)
    audit = fields.List(fields.Nested(AuditEntrySchema))
