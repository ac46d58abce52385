"""POST/PATCH/DELETE /api/v1/songs: admins add, edit and remove songs; the vector index follows."""

from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..services.accounts.audit import Actor
from ..services.admin import songs
from ..services.catalog.browse import song_json
from ..spotify_csv.validation import SongInvalid
from . import V1, bp
from .auth import admin_only
from .docs import errors
from .parsing import InvalidRequest
from .schemas import CsrfHeader
from .schemas_admin import ADMIN_ONLY, SongCreateSchema, SongDeletedSchema, SongInputSchema, SongWrittenSchema
from .songs import song_or_404


def _actor() -> Actor:
    return Actor(current_user._get_current_object(), via="api")


def _answer(change: Any, status: int = 200) -> ResponseReturnValue:
    return {"song": song_json(change.song), "index": change.index, "changed": change.changed}, status


@bp.route(f"{V1}/songs", methods=["POST"], tags=["admin"], endpoint="create_song")
@admin_only
@bp.arguments(CsrfHeader, location="headers")
@bp.arguments(SongCreateSchema)
@bp.alt_response(201, schema=SongWrittenSchema, description="The new song.", success=True)
@bp.doc(description=ADMIN_ONLY)
@errors(400, 401, 403, 409, 413)
def create_song(_headers: dict[str, Any], body: dict[str, Any]) -> ResponseReturnValue:
    """Add a song: title and artist required; answers it and whether the index has it"""
    try:
        change = songs.create_song(body, _actor())
    except SongInvalid as exc:  # what the schema cannot say (app/spotify_csv/validation.py)
        raise InvalidRequest(exc.fields, "JSON body") from None
    except songs.SongExists as exc:
        abort(409, str(exc))
    return _answer(change, 201)


@bp.route(f"{V1}/songs/<int:song_id>", methods=["PATCH"], tags=["admin"], endpoint="update_song")
@admin_only
@bp.arguments(CsrfHeader, location="headers")
@bp.arguments(SongInputSchema)
@bp.alt_response(200, schema=SongWrittenSchema, description="The song as saved.", success=True)
@bp.doc(description=ADMIN_ONLY)
@errors(400, 401, 403, 404, 413)
def update_song(_headers: dict[str, Any], body: dict[str, Any], song_id: int) -> ResponseReturnValue:
    """Change some fields of a song (a text change re-embeds it)"""
    song = song_or_404(song_id)
    try:
        change = songs.update_song(song, body, _actor())
    except SongInvalid as exc:
        raise InvalidRequest(exc.fields, "JSON body") from None
    return _answer(change)


@bp.route(f"{V1}/songs/<int:song_id>", methods=["DELETE"], tags=["admin"], endpoint="delete_song")
@admin_only
@bp.arguments(CsrfHeader, location="headers")
@bp.alt_response(200, schema=SongDeletedSchema, description="What was removed.", success=True)
@bp.doc(description=ADMIN_ONLY)
@errors(401, 403, 404)
def delete_song(_headers: dict[str, Any], song_id: int) -> ResponseReturnValue:
    """Delete a song, its activity rows and its point; affected taste vectors are recomputed"""
    change = songs.delete_song(song_or_404(song_id), _actor())
    return {"deleted": change.song_id, "index": change.index, "users_updated": change.users_updated}
