"""Recommendations: the pages (the original JSON paths under /recommendations/ are app/api/legacy.py)."""

from flask import Blueprint

bp = Blueprint("recommendations", __name__, url_prefix="/recommendations")

from . import pages  # noqa: F401
