"""The JSON API at /api/v1: songs, and the caller's profile, activity and recommendations."""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The app-wide check cannot tell Bearer clients apart; guard_api_request checks cookie writes itself.
csrf.exempt(bp)

from . import admin_songs, admin_users, me, openapi, songs  # noqa: E402,F401
from .auth import guard_api_request  # noqa: E402

bp.before_request(guard_api_request)

from ..throttle import limit_api_writes  # noqa: E402

limit_api_writes(bp)  # writes are throttled per account and per address (app/throttle.py)
