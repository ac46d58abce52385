"""Like, dislike, bookmark, rate and play: one endpoint, an htmx partial or a redirect back."""

from flask import abort, make_response, render_template, request
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Song
from ..services.activity import record_activity
from ..services.library import states_for
from ..web import is_htmx, redirect_back
from . import bp

ACTIONS = ("play", "like", "unlike", "rate", "bookmark", "unbookmark", "dislike", "undislike")


@bp.post("/<int:song_id>/act")
@login_required
def act(song_id):
    song = db.get_or_404(Song, song_id)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400, f"unknown action {action!r}: expected one of {', '.join(ACTIONS)}")
    value = None
    if action == "rate":
        try:
            value = int(request.form.get("value", ""))
        except ValueError:
            abort(400, "a rating must be a whole number from 1 to 5")
    try:
        record_activity(current_user.id, song.id, action, value)
    except ValueError as exc:
        abort(400, str(exc))
    if not is_htmx():
        return redirect_back("songs.show", song_id=song.id)
    state = states_for(current_user.id, [song.id]).get(song.id)
    response = make_response(render_template("songs/_actions.html", song=song, state=state))
    # Lists that depend on the user's taste (recommendations, library) listen for this and reload.
    response.headers["HX-Trigger"] = "activity-changed"
    return response
