"""Recommendations: the pages, and the original JSON paths (legacy)."""

from flask import Blueprint

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")

from . import legacy, pages  # noqa: F401
