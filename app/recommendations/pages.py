"""The recommendations page: a tab per approach, each item with its reason, refreshed after actions.

A tab first reads a cached list of PAGE_SIZE songs; "Show more" (htmx, or a link to a longer page
without it) continues with a cached list of MAX_SHOWN, leaving out the songs already shown. Asking
for 50 songs up front made every first view after a like cost 3.5x as much (For you computes 3k
candidates per list), for a button most views never press.
"""

from flask import abort, render_template, request
from flask_login import current_user, login_required

from ..services.activity.library import states_for
from ..services.recommendations.lists import recommend_for
from ..web import is_htmx, whole_number
from . import bp

TABS = {
    "for_you": "For you",
    "content": "Content-based",
    "collaborative": "Collaborative",
    "item_based": "Liked together",
    "knowledge": "Knowledge-based",
    "popular": "Popular",
}
PAGE_SIZE = 12
MAX_SHOWN = 50  # the longest list a tab shows; always the k asked of the cache, so one entry serves all


def count_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query argument from low to high (default when absent), else 400."""
    raw = request.args.get(name)
    return default if raw is None else whole_number(raw, name, low, high)


@bp.route("/", defaults={"approach": "for_you"})
@bp.route("/<approach>")
@login_required
def page(approach):
    if approach not in TABS:
        abort(404, f"No recommendations called '{approach}'.")
    shown = count_arg("shown", PAGE_SIZE, 1, MAX_SHOWN)
    after = count_arg("after", 0, 0, shown) if "after" in request.args else None
    result = recommend_for(current_user, approach, k=PAGE_SIZE)
    found, degraded = list(result["items"]), result["degraded"]
    if shown > PAGE_SIZE:
        longer = recommend_for(current_user, approach, k=MAX_SHOWN)
        first = {item["song"]["id"] for item in found}
        found += [item for item in longer["items"] if item["song"]["id"] not in first]
        degraded = degraded or longer["degraded"]
    # Cards read the songs' JSON (title, artist, album, ...): no second query for the same rows.
    every = [(item["song"], item["reason"], item["sources"]) for item in found]
    # A full first page may have more behind it: the longer list says when "Show more" asks.
    has_more = len(every) > shown or (shown == PAGE_SIZE and len(every) == PAGE_SIZE)
    partial = is_htmx() and after is not None  # "Show more": only the next cards, appended in place
    items = every[after:shown] if partial else every[:shown]
    context = {
        "approach": approach,
        "tabs": TABS,
        "items": items,
        "shown": min(shown, len(every)),
        "more": min(shown + PAGE_SIZE, MAX_SHOWN) if has_more else None,
        "states": states_for(current_user.id, [song["id"] for song, _, _ in items]),
        "degraded": degraded,
        "has_preferences": bool(current_user.emotions or current_user.tags),
    }
    if partial:
        return render_template("recommendations/_more.html", **context)
    template = "recommendations/_list.html" if is_htmx() else "recommendations/index.html"
    return render_template(template, **context)
