"""Recommendations: the original JSON paths (legacy), and later the pages."""

from flask import Blueprint

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")

from . import legacy  # noqa: E402,F401
