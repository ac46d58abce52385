"""/api/v1/me: the caller's profile, activity log and recommendations."""

from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..services.activity import history
from ..services.activity.events import record_activity
from ..services.recommendations import lists as recs
from ..services.recommendations.lists import Filters
from . import V1, bp
from .docs import errors
from .schemas import (
    ACTIVITY_BODY_DOC,
    ActivityCreatedSchema,
    ActivityInput,
    ActivityPageSchema,
    CsrfHeader,
    PagingQuery,
    ProfileSchema,
    RecommendationQuery,
    RecommendationsSchema,
)
from .songs import page_json, song_or_404


def filters(query: dict[str, Any]) -> Filters:
    """Recommendation filters: genre, emotion, and explicit=false to keep clean songs only."""
    return Filters(
        no_explicit=query.get("explicit") is False, genre=query.get("genre"), emotion=query.get("emotion")
    )


@bp.route(f"{V1}/me", tags=["me"])
@bp.alt_response(200, schema=ProfileSchema, description="Your profile.", success=True)
@errors(401)
def profile() -> dict[str, Any]:
    """Your profile and activity counts"""
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


@bp.route(f"{V1}/me/recommendations", tags=["me"])
@bp.arguments(RecommendationQuery, location="query")
@bp.alt_response(
    200, schema=RecommendationsSchema, description="Recommended songs, best first.", success=True
)
@errors(400, 401)
def recommendations(query: dict[str, Any]) -> dict[str, Any]:
    """Your recommendations from one approach, each explained"""
    try:
        return recs.recommend_for(
            current_user._get_current_object(), query["approach"], query["k"], filters(query)
        )
    except ValueError as exc:
        abort(400, str(exc))


@bp.route(f"{V1}/me/activities", tags=["me"])
@bp.arguments(PagingQuery, location="query")
@bp.alt_response(200, schema=ActivityPageSchema, description="A page of events.", success=True)
@errors(400, 401)
def activities(query: dict[str, Any]) -> dict[str, Any]:
    """Your activity log, newest first"""
    events = history.activity_page(current_user.id, query["page"], query["per_page"])
    return page_json(events, history.events_json(events.items))


@bp.route(f"{V1}/me/activities", methods=["POST"], tags=["me"], endpoint="add_activity")
@bp.arguments(CsrfHeader, location="headers")
@bp.arguments(ActivityInput)
@bp.doc(**ACTIVITY_BODY_DOC)
@bp.alt_response(
    201, schema=ActivityCreatedSchema, description="The event and your new state for the song.", success=True
)
@errors(400, 401, 404, 413)
def add_activity(_headers: dict[str, Any], body: dict[str, Any]) -> ResponseReturnValue:
    """Play, like, rate, bookmark or dislike a song (and undo)

    Your recommendations reflect it from the next request on.
    """
    song_id, action, value = body["song_id"], body["action"], body.get("value")
    song_or_404(song_id)
    try:
        state = record_activity(current_user.id, song_id, action, value)
    except ValueError as exc:
        abort(400, str(exc))
    event = history.latest_event(current_user.id, song_id)
    return {"event": history.events_json([event])[0], "state": history.state_json(state)}, 201
