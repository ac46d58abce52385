"""/api/v1/me: the caller's profile, activity log and recommendations."""

from flask import abort, request
from flask_login import current_user

from ..limits import db_int
from ..services import history
from ..services import recommendations as recs
from ..services.activity import record_activity, validate_activity
from . import bp
from .params import choice_arg, k_arg, page_json, paging, recommendation_filters


@bp.get("/me")
def profile():
    """The caller's profile and how much they have done."""
    user = current_user
    return {
        "id": user.id,
        "username": user.username,
        "age": user.age,
        "bio": user.bio,
        "emotions": list(user.emotions or []),
        "tags": list(user.tags or []),
        "is_admin": user.is_admin,
        "created_at": history.isoformat(user.created_at),
        "counts": history.user_counts(user.id),
    }


@bp.get("/me/recommendations")
def recommendations():
    """Ranked, explained recommendations from one approach."""
    approach = choice_arg("approach", recs.APPROACHES, "for_you")
    k, filters = k_arg(), recommendation_filters()
    try:
        return recs.recommend_for(current_user._get_current_object(), approach, k, filters)
    except ValueError as exc:
        abort(400, str(exc))


@bp.get("/me/activities")
def activities():
    """The caller's event log, newest first, a page at a time."""
    page, per_page = paging()
    events = history.activity_page(current_user.id, page, per_page)
    return page_json(events, history.events_json(events.items))


@bp.post("/me/activities")
def add_activity():
    """Record a play, like, rating, bookmark or dislike; answers the event and the new state."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, 'Send a JSON object such as {"song_id": 3, "action": "like"}.')
    song_id, action, value = body.get("song_id"), body.get("action"), body.get("value")
    if song_id is None:
        abort(400, "song_id is required.")
    db_int(song_id, "song_id")  # beyond the database's integer range SQL would raise, not answer
    if action is None:
        abort(400, "action is required.")
    try:
        validate_activity(action, value)
    except ValueError as exc:
        abort(400, str(exc))
    if history.get_song(song_id) is None:
        abort(404, f"No song with id {song_id}.")
    try:
        state = record_activity(current_user.id, song_id, action, value)
    except ValueError as exc:
        abort(400, str(exc))
    event = history.latest_event(current_user.id, song_id)
    return {"event": history.events_json([event])[0], "state": history.state_json(state)}, 201
