"""The user's library: liked, bookmarked, rated and recently played songs."""

from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/library")

from . import routes  # noqa: E402,F401
