"""Browsing the catalog, a song's page, and what users do with songs."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("songs", __name__, url_prefix="/songs")


def favicon():
    """The site's icon at the address browsers and tools ask for (pages also link the SVG)."""
    return send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )


@bp.record_once
def _setup(state):
    # /favicon.ico lies outside /songs, so it is added to the app itself when this blueprint is registered;
    # so are the listening helpers the templates call (cards and the player bar are on every page).
    from . import listening

    listening.init_app(state.app)
    state.app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)


from . import actions, routes  # noqa: F401
