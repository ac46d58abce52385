"""The JSON API: /api/v1 (songs, the caller's profile, activity and recommendations, admin operations)
and the original recommendation paths under /recommendations/ (app/api/legacy.py).

Routes are flask-smorest's: each declares the schemas it reads (app/api/schemas.py), which parse
and validate the request and make its part of the OpenAPI document (app/api/docs.py). The blueprint
has no URL prefix because it serves those two places; its errors are JSON (app/errors.py json_errors).
"""

from flask.blueprints import BlueprintSetupState

from ..errors import json_errors
from ..extensions import csrf
from .parsing import Blueprint, InvalidRequest, invalid_request_answer

V1 = "/api/v1"

bp = Blueprint("api", __name__)

# The app-wide check cannot tell Bearer clients apart; guard_api_request checks cookie writes itself.
csrf.exempt(bp)
json_errors(bp)
bp.register_error_handler(InvalidRequest, invalid_request_answer)

from . import admin_songs, admin_users, docs, legacy, me, songs  # noqa: F401
from .auth import TokenRequestsWithoutCookies, guard_api_request

bp.before_request(guard_api_request)

from ..throttle import limit_api_writes

limit_api_writes(bp)  # writes are throttled per account and per address (app/throttle.py)


def _judge_token_requests_by_their_token(state: BlueprintSetupState) -> None:
    state.app.wsgi_app = TokenRequestsWithoutCookies(state.app.wsgi_app)


bp.record_once(_judge_token_requests_by_their_token)
