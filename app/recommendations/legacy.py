"""The original API's recommendation paths: a JSON list of songs, each with a score and a reason."""

from flask import abort

from ..api.auth import json_login_required, visible_user
from ..api.params import k_arg, recommendation_filters
from ..services import recommendations as recs
from . import bp

# Path segment -> approach. app/errors.py answers every error under these paths in JSON.
LEGACY_APPROACHES = {
    "content_based_recommendations": "content",
    "collaborative_recommendations": "collaborative",
    "knowledge_based": "knowledge",
}


def legacy_recommendations(user_id, approach):
    """The recommendations of one user, flattened into the original list shape."""
    user = visible_user(user_id)
    k, filters = k_arg(), recommendation_filters()
    try:
        result = recs.recommend_for(user, approach, k, filters)
    except ValueError as exc:
        abort(400, str(exc))
    return [{**item["song"], "score": item["score"], "reason": item["reason"]} for item in result["items"]]


@bp.get("/content_based_recommendations/<int:user_id>/")
@json_login_required
def content_based(user_id):
    """Content-based recommendations: songs close to the user's taste."""
    return legacy_recommendations(user_id, LEGACY_APPROACHES["content_based_recommendations"])


@bp.get("/collaborative_recommendations/<int:user_id>/")
@json_login_required
def collaborative(user_id):
    """Collaborative recommendations: what listeners with similar taste liked."""
    return legacy_recommendations(user_id, LEGACY_APPROACHES["collaborative_recommendations"])


@bp.get("/knowledge_based/<int:user_id>/")
@json_login_required
def knowledge_based(user_id):
    """Knowledge-based recommendations: songs matching the user's stated emotions and tags."""
    return legacy_recommendations(user_id, LEGACY_APPROACHES["knowledge_based"])
