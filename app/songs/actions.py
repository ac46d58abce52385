"""Like, dislike, bookmark, rate and play: one endpoint, an htmx partial or a redirect back; and undo.

With htmx the answer is the card's action row, with a toast (and for play the player bar) swapped
out of band; without JavaScript it is a redirect back to the card (#song-<id>) with a flash message
that carries the same Undo form. Undo is a real state change: a POST, with the CSRF token, that goes
through app/services/activity/events.revert_activity.
"""

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ..auth.routes import safe_next_url
from ..services.activity.events import UNDO_KINDS, record_activity, revert_activity
from ..services.activity.history import get_song
from ..services.activity.library import states_for
from ..web import found, is_htmx
from . import bp

ACTIONS = ("play", "like", "unlike", "rate", "bookmark", "unbookmark", "dislike", "undislike")
PARTS = ("", "listen")  # which partial an htmx post wants back: the action row, or the song page's player

TOASTS = {
    "like": "Liked “{title}”.",
    "unlike": "Removed “{title}” from your liked songs.",
    "dislike": "“{title}” is hidden: you will get fewer songs like it.",
    "undislike": "“{title}” is no longer hidden.",
    "bookmark": "Saved “{title}” to your library.",
    "unbookmark": "Removed “{title}” from your saved songs.",
    "rate": "Rated “{title}” {value} of 5.",
}


def undo_for(action: str, was_liked: bool, was_disliked: bool, was_rated: bool = False) -> str | None:
    """The event that restores the state from before `action`, or None (play has no undo).

    Like and dislike exclude each other, so undoing a like of a disliked song dislikes it again.
    A first rating is undone by "unrate" (it took the song out of the lists); a changed rating is
    not offered one, as it removed no card.
    """
    if action == "like" and was_disliked:
        return "dislike"
    if action == "dislike" and was_liked:
        return "like"
    if action == "rate" and was_rated:
        return None
    return UNDO_KINDS.get(action)


def back_to_card(song_id: int):
    """Redirect to the form's `next` (same site only, else the song page), at the song's card."""
    target = safe_next_url(request.form.get("next")) or url_for("songs.show", song_id=song_id)
    return redirect(target.split("#")[0] + f"#song-{song_id}")


def _flash(toast):
    # The category carries the undo for _flashes.html; the session cookie is signed, so it is ours.
    category = f"undo:{toast['undo']}:{toast['song_id']}" if toast["undo"] else "success"
    flash(toast["message"], category)


@bp.post("/<int:song_id>/act")
@login_required
def act(song_id):
    song = found(get_song(song_id), f"No song with id {song_id}.")
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400, f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    part = request.form.get("part", "")
    if part not in PARTS:
        abort(400, "part must be empty or 'listen'")
    value = None
    if action == "rate":
        try:
            value = int(request.form.get("value", ""))
        except ValueError:
            abort(400, "a rating must be a whole number from 1 to 5")
    before = states_for(current_user.id, [song.id]).get(song.id)
    # Copied now: the session's object for this row is the one record_activity updates.
    was_liked, was_disliked = (before.liked, before.disliked) if before else (False, False)
    was_rated = bool(before and before.rating)
    try:
        record_activity(current_user.id, song.id, action, value)
    except ValueError as exc:
        abort(400, str(exc))
    toast = None
    if action in TOASTS:
        toast = {
            "message": TOASTS[action].format(title=song.title, value=value),
            "song_id": song.id,
            "undo": undo_for(action, was_liked, was_disliked, was_rated),
        }
    if not is_htmx():
        if toast:
            _flash(toast)
        if action == "play":  # without JavaScript, Play leads to the song page's player
            return redirect(url_for("songs.show", song_id=song.id, listen=1) + "#listen")
        return back_to_card(song.id)
    if part == "listen":
        response = make_response(render_template("songs/_player.html", song=song, embed=True, bar=False))
    else:
        state = states_for(current_user.id, [song.id]).get(song.id)
        response = make_response(
            render_template(
                "songs/_actions.html",
                song=song,
                state=state,
                toast=toast,
                player_song=song if action == "play" else None,
            )
        )
    # Lists that depend on the user's taste (recommendations, library) listen for this and reload.
    response.headers["HX-Trigger"] = "activity-changed"
    return response


@bp.post("/<int:song_id>/undo")
@login_required
def undo(song_id):
    song = found(get_song(song_id), f"No song with id {song_id}.")
    try:
        revert_activity(current_user.id, song.id, request.form.get("action", ""))
    except ValueError as exc:
        abort(400, str(exc))
    message = f"Undone: “{song.title}” is back as it was."
    if not is_htmx():
        flash(message, "success")
        return back_to_card(song.id)
    state = states_for(current_user.id, [song.id]).get(song.id)
    response = make_response(render_template("songs/_undone.html", song=song, state=state, message=message))
    response.headers["HX-Trigger"] = "activity-changed"  # a removed card comes back to its list
    return response
