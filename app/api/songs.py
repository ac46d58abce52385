"""GET /api/v1/songs: search and filter the catalog, one song, songs like it."""

from flask import abort
from flask_login import current_user

from ..services import catalog, history
from ..services import recommendations as recs
from ..services.activity import state_for
from . import bp
from .params import bool_arg, choice_arg, emotion_arg, k_arg, page_json, paging, text_arg


def _song_or_404(song_id):
    song = history.get_song(song_id)
    if song is None:
        abort(404, f"No song with id {song_id}.")
    return song


@bp.get("/songs")
def list_songs():
    """A page of songs matching a text search and filters."""
    page, per_page = paging()
    sort = choice_arg("sort", tuple(catalog.SORTS), "popularity")
    songs = catalog.page_of_songs(
        page, per_page, text_arg("q"), text_arg("genre"), sort,
        emotion=emotion_arg(), tag=text_arg("tag"), explicit=bool_arg("explicit"),
    )
    return page_json(songs, [catalog.song_json(song) for song in songs.items])


@bp.get("/songs/<int:song_id>")
def show_song(song_id):
    """One song, with the caller's own state for it."""
    song = _song_or_404(song_id)
    return {**catalog.song_json(song), "state": history.state_json(state_for(song), song.id)}


@bp.get("/songs/<int:song_id>/similar")
def similar_songs(song_id):
    """Songs like this one, without the caller's dislikes."""
    k = k_arg()
    song = _song_or_404(song_id)
    try:
        return recs.similar_songs(song, k=k, user=current_user._get_current_object())
    except ValueError as exc:
        abort(400, str(exc))
