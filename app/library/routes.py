"""The library page, one section at a time (Disliked is where a dislike can be undone)."""

from flask import abort, current_app, render_template
from flask_login import current_user, login_required

from ..services.activity.library import SECTIONS, library_page, section_counts, states_for
from ..web import is_htmx, page_arg
from . import bp

LABELS = {
    "liked": "Liked",
    "bookmarked": "Saved",
    "rated": "Rated",
    "recent": "Recently played",
    "disliked": "Disliked",
}


@bp.route("/", defaults={"section": "liked"})
@bp.route("/<section>")
@login_required
def index(section):
    if section not in SECTIONS:
        abort(404, f"No library section '{section}'.")
    songs = library_page(current_user.id, section, page_arg(), current_app.config["SONGS_PER_PAGE"])
    context = {
        "section": section,
        "sections": list(SECTIONS),
        "labels": LABELS,
        "counts": section_counts(current_user.id),
        "songs": songs,
        "states": states_for(current_user.id, [s.id for s in songs.items]),
    }
    template = "library/_section.html" if is_htmx() else "library/index.html"
    return render_template(template, **context)
