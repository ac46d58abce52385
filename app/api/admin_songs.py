"""POST/PATCH/DELETE /api/v1/songs: admins add, edit and remove songs; the vector index follows."""

from flask import abort, request
from flask_login import current_user

from ..catalog.validation import SongInvalid
from ..services import admin_songs, history
from ..services.audit import Actor
from ..services.catalog import song_json
from . import bp
from .auth import require_admin


def invalid_fields(fields, message="Some fields are invalid; see fields for each one."):
    """The 400 answer naming each bad field: {"error", "message", "status", "fields"}."""
    return {"error": "Bad request", "message": message, "status": 400, "fields": fields}, 400


def json_object():
    """The request's JSON body, which must be an object (400 otherwise)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object (Content-Type: application/json).")
    return body


def _actor():
    return Actor(current_user._get_current_object(), via="api")


def _song_or_404(song_id):
    song = history.get_song(song_id)
    if song is None:
        abort(404, f"No song with id {song_id}.")
    return song


def _answer(change, status=200):
    return {"song": song_json(change.song), "index": change.index, "changed": change.changed}, status


@bp.post("/songs")
def create_song():
    """Add a song (admins): title and artist required; answers it and whether the index has it."""
    require_admin()
    body = json_object()
    try:
        change = admin_songs.create_song(body, _actor())
    except SongInvalid as exc:
        return invalid_fields(exc.fields)
    except admin_songs.SongExists as exc:
        abort(409, str(exc))
    return _answer(change, 201)


@bp.patch("/songs/<int:song_id>")
def update_song(song_id):
    """Change some fields of a song (admins); text changes re-embed it."""
    require_admin()
    song = _song_or_404(song_id)
    body = json_object()
    try:
        change = admin_songs.update_song(song, body, _actor())
    except SongInvalid as exc:
        return invalid_fields(exc.fields)
    return _answer(change)


@bp.delete("/songs/<int:song_id>")
def delete_song(song_id):
    """Remove a song, its activity rows and its point (admins); affected taste vectors are recomputed."""
    require_admin()
    change = admin_songs.delete_song(_song_or_404(song_id), _actor())
    return {"deleted": change.song_id, "index": change.index, "users_updated": change.users_updated}
