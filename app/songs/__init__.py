"""Browsing the catalog."""

from flask import Blueprint

bp = Blueprint("songs", __name__, url_prefix="/songs")

from . import actions, routes  # noqa: E402,F401
