"""The user's library: liked, bookmarked, rated, recently played and disliked songs."""

from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/library")

from . import routes  # noqa: F401
