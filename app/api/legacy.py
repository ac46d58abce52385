"""The original API's recommendation paths: a JSON list of songs, each with a score and a reason.

They live beside /api/v1 in the API blueprint (same authentication, errors and document), at their
original URLs under /recommendations/.
"""

from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue

from ..services.recommendations import lists as recs
from . import bp
from .auth import visible_user
from .docs import errors
from .me import filters
from .schemas import LegacyRecommendationSchema, RecommendationFilterQuery

# Path segment -> approach.
LEGACY_APPROACHES = {
    "content_based_recommendations": "content",
    "collaborative_recommendations": "collaborative",
    "knowledge_based": "knowledge",
}
# The original paths answer a bare list, so whether it is the popular fallback (vector store
# down) cannot go in the body without breaking their clients: it travels in this header, "1" or "0".
DEGRADED_HEADER = "X-Songbird-Degraded"
DEGRADED_DOC = {
    DEGRADED_HEADER: {
        "description": "1 when the vector store was unavailable and these are the popular songs instead; "
        "0 otherwise.",
        "schema": {"type": "string", "enum": ["0", "1"]},
    }
}


def legacy_recommendations(user_id: int, approach: str, query: dict[str, Any]) -> ResponseReturnValue:
    """The recommendations of one user, flattened into the original list shape, and the degraded header."""
    user = visible_user(user_id)
    try:
        result = recs.recommend_for(user, approach, query["k"], filters(query))
    except ValueError as exc:
        abort(400, str(exc))
    items = [{**item["song"], "score": item["score"], "reason": item["reason"]} for item in result["items"]]
    return items, 200, {DEGRADED_HEADER: "1" if result["degraded"] else "0"}


def _legacy_route(segment: str, summary: str) -> None:
    approach = LEGACY_APPROACHES[segment]

    @bp.route(f"/recommendations/{segment}/<int:user_id>/", tags=["legacy"], endpoint=approach)
    @bp.arguments(RecommendationFilterQuery, location="query")
    @bp.alt_response(
        200,
        schema=LegacyRecommendationSchema(many=True),
        headers=DEGRADED_DOC,
        description="Recommended songs, best first.",
        success=True,
    )
    @bp.doc(summary=summary, description="Your own id, or any id when you are an admin.")
    @errors(400, 401, 403, 404)
    def view(query: dict[str, Any], user_id: int) -> ResponseReturnValue:
        return legacy_recommendations(user_id, approach, query)


for _segment, _kind in (
    ("content_based_recommendations", "content-based"),
    ("collaborative_recommendations", "collaborative"),
    ("knowledge_based", "knowledge-based"),
):
    _legacy_route(_segment, f"The original {_kind} recommendations of a user, as a list")
