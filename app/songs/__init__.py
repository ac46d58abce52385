"""Browsing the catalog."""

from flask import Blueprint

bp = Blueprint("songs", __name__, url_prefix="/songs")

from . import routes  # noqa: E402,F401
