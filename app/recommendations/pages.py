"""The recommendations page: a tab per approach, each item with its reason, refreshed after actions."""

from flask import abort, render_template
from flask_login import current_user, login_required

from ..services.library import states_for
from ..services.recommendations import recommend_for
from ..web import is_htmx
from . import bp

TABS = {
    "for_you": "For you",
    "content": "Content-based",
    "collaborative": "Collaborative",
    "item_based": "Liked together",
    "knowledge": "Knowledge-based",
}
PAGE_SIZE = 12


@bp.route("/", defaults={"approach": "for_you"})
@bp.route("/<approach>")
@login_required
def page(approach):
    if approach not in TABS:
        abort(404, f"No recommendations called '{approach}'.")
    result = recommend_for(current_user, approach, k=PAGE_SIZE)
    # Cards read the songs' JSON (title, artist, genre, ...): no second query for the same rows.
    items = [(item["song"], item["reason"], item["sources"]) for item in result["items"]]
    context = {
        "approach": approach,
        "tabs": TABS,
        "items": items,
        "states": states_for(current_user.id, [song["id"] for song, _, _ in items]),
        "degraded": result["degraded"],
        "has_preferences": bool(current_user.emotions or current_user.tags),
    }
    template = "recommendations/_list.html" if is_htmx() else "recommendations/index.html"
    return render_template(template, **context)
