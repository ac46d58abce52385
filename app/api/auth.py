"""Who is calling the API: a Bearer token or the session cookie; CSRF for cookie writes."""

import functools

from flask import abort, current_app, g, request
from flask_login import current_user

from ..extensions import csrf, login_manager
from ..services import history, tokens

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
NOT_LOGGED_IN = "Log in, or send an API token as 'Authorization: Bearer <token>'."


def authenticate():
    """Resolve the caller; returns "token", "session" or None, and aborts 401 on a bad token."""
    header = request.headers.get("Authorization")
    if header is None:
        g.auth_method = "session" if current_user.is_authenticated else None
        return g.auth_method
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, "The Authorization header must be 'Bearer <token>'.")
    user = tokens.user_for_token(token.strip())
    if user is None:
        abort(401, "The API token is unknown or was revoked, or its account is deactivated.")
    # Sets current_user for this request only: login_user would write the session and send a cookie.
    login_manager._update_request_context_with_user(user)
    g.auth_method = "token"
    return g.auth_method


def require_login():
    """Abort 401 unless the request is authenticated; returns how it was."""
    method = authenticate()
    if method is None:
        abort(401, NOT_LOGGED_IN)
    return method


def guard_api_request():
    """The API blueprint's before_request: authenticate, then check CSRF on cookie writes."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    method = require_login()
    # A Bearer token cannot be attached by another site's page, so only cookie sessions need CSRF.
    if method == "session" and request.method not in SAFE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


def json_login_required(view):
    """Like login_required, but 401 JSON instead of a redirect, and Bearer tokens accepted."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        require_login()
        return view(*args, **kwargs)

    return wrapper


def visible_user(user_id):
    """The user whose data is asked for: 404 when unknown, 403 unless it is the caller or an admin."""
    user = history.get_user(user_id)
    if user is None:
        abort(404, f"No user with id {user_id}.")
    if user.id != current_user.id and not current_user.is_admin:
        abort(403, "You can only read your own recommendations and activity.")
    return user


def require_admin():
    """Abort 403 unless the (already authenticated) caller is an admin."""
    if not current_user.is_admin:
        abort(403, "Only administrators can do this.")
