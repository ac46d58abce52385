"""GET /api/v1/songs: search and filter the catalog, one song, songs like it."""

from typing import Any

from flask import abort
from flask_login import current_user

from ..services.activity import history
from ..services.activity.events import state_for
from ..services.catalog import browse
from ..services.recommendations import lists as recs
from ..web import found
from . import V1, bp
from .docs import errors
from .schemas import CountQuery, SimilarSongsSchema, SongDetailSchema, SongPageSchema, SongQuery


def page_json(pagination: Any, items: list[dict]) -> dict[str, Any]:
    """A page of results with its position in the whole list."""
    return {
        "items": items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
        "pages": pagination.pages,
    }


def song_or_404(song_id: int) -> Any:
    return found(history.get_song(song_id), f"No song with id {song_id}.")


@bp.route(f"{V1}/songs", tags=["songs"])
@bp.arguments(SongQuery, location="query")
@bp.alt_response(200, schema=SongPageSchema, description="A page of songs.", success=True)
@errors(400, 401)
def list_songs(query: dict[str, Any]) -> dict[str, Any]:
    """Search and filter the catalog"""
    songs = browse.page_of_songs(
        query["page"],
        query["per_page"],
        query.get("q"),
        query.get("genre"),
        query["sort"],
        emotion=query.get("emotion"),
        tag=query.get("tag"),
        explicit=query.get("explicit"),
    )
    return page_json(songs, [browse.song_json(song) for song in songs.items])


@bp.route(f"{V1}/songs/<int:song_id>", tags=["songs"])
@bp.alt_response(200, schema=SongDetailSchema, description="The song.", success=True)
@errors(401, 404)
def show_song(song_id: int) -> dict[str, Any]:
    """One song, with your state for it"""
    song = song_or_404(song_id)
    return {**browse.song_json(song), "state": history.state_json(state_for(song), song.id)}


@bp.route(f"{V1}/songs/<int:song_id>/similar", tags=["songs"])
@bp.arguments(CountQuery, location="query")
@bp.alt_response(200, schema=SimilarSongsSchema, description="Similar songs, best first.", success=True)
@errors(400, 401, 404)
def similar_songs(query: dict[str, Any], song_id: int) -> dict[str, Any]:
    """Songs like this one, without your dislikes"""
    song = song_or_404(song_id)
    try:
        return recs.similar_songs(song, k=query["k"], user=current_user._get_current_object())
    except ValueError as exc:
        abort(400, str(exc))
