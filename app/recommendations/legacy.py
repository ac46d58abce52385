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
# The original paths answer a bare list, so whether it is the popular fallback (vector store
# down) cannot go in the body without breaking their clients: it travels in this header, "1" or "0".
DEGRADED_HEADER = "X-Songbird-Degraded"


def legacy_recommendations(user_id, approach):
    """The recommendations of one user, flattened into the original list shape, and the degraded header."""
    user = visible_user(user_id)
    k, filters = k_arg(), recommendation_filters()
    try:
        result = recs.recommend_for(user, approach, k, filters)
    except ValueError as exc:
        abort(400, str(exc))
    items = [{**item["song"], "score": item["score"], "reason": item["reason"]} for item in result["items"]]
    return items, 200, {DEGRADED_HEADER: "1" if result["degraded"] else "0"}


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
