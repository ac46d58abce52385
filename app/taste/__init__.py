"""The "Your taste" page: a map of the catalog with the user's songs on it, and their moods over time."""

from flask import Blueprint

bp = Blueprint("taste", __name__, url_prefix="/taste")

from . import routes  # noqa: F401
