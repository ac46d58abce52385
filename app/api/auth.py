"""Who is calling the API: a Bearer token (Flask-Login's request_loader) or the session cookie.

Flask-Login asks the session first, then the remember-me cookie, and the request_loader only when
both are empty. A request that presents a token must be the token's user even from a browser logged
in as someone else (the docs page's "Authorize" button, a script run beside a session), so an API
request carrying an Authorization header reaches the app without its cookies (TokenRequestsWithout-
Cookies): no session is read or written for it, and the header alone decides. Only cookie sessions
need CSRF: another site's page cannot attach an Authorization header.
"""

import functools
from collections.abc import Callable, Iterable
from typing import Any

from flask import Request, abort, current_app, g, request
from flask_login import UserMixin, current_user

from ..extensions import csrf, login_manager
from ..services.accounts import tokens
from ..services.activity import history

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.docs"})
NOT_LOGGED_IN = "Log in, or send an API token as 'Authorization: Bearer <token>'."
# Where tokens are accepted: the API and the original recommendation paths (app/api/legacy.py).
# tests/test_api_auth.py checks that every route of the API blueprint is under one of them.
TOKEN_PATHS = (
    "/api/",
    "/recommendations/content_based_recommendations/",
    "/recommendations/collaborative_recommendations/",
    "/recommendations/knowledge_based/",
)


class TokenRequestsWithoutCookies:
    """WSGI middleware: an API request with an Authorization header is passed on without its cookies."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "HTTP_AUTHORIZATION" in environ and environ.get("PATH_INFO", "").startswith(TOKEN_PATHS):
            environ = {key: value for key, value in environ.items() if key != "HTTP_COOKIE"}
        return self.wsgi_app(environ, start_response)


def _bearer_token(header: str) -> str | None:
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@login_manager.request_loader
def user_from_token(req: Request) -> UserMixin | None:
    """Flask-Login's request_loader: the active user of a live Bearer token, on the API's paths only."""
    token = _bearer_token(req.headers.get("Authorization", ""))
    if token is None or not req.path.startswith(TOKEN_PATHS):
        return None
    user = tokens.user_for_token(token)  # also records when the token was last used
    g.api_token_user = user
    return user


def _refusal(header: str) -> str:
    if _bearer_token(header) is None:
        return "The Authorization header must be 'Bearer <token>'."
    return "The API token is unknown or was revoked, or its account is deactivated."


def guard_api_request() -> None:
    """The API blueprint's before_request: 401 unless authenticated; CSRF on cookie writes."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization")
    if header is not None:
        # The user must be the token's (request_loader), never a session's the header came beside.
        caller = current_user._get_current_object()
        if not caller.is_authenticated or g.get("api_token_user") is not caller:
            abort(401, _refusal(header))
        return
    if not current_user.is_authenticated:
        abort(401, NOT_LOGGED_IN)
    if request.method not in SAFE_METHODS and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


def visible_user(user_id: int) -> UserMixin:
    """The user whose data is asked for: 404 when unknown, 403 unless it is the caller or an admin."""
    user = history.get_user(user_id)
    if user is None:
        abort(404, f"No user with id {user_id}.")
    if user.id != current_user.id and not current_user.is_admin:
        abort(403, "You can only read your own recommendations and activity.")
    return user


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 for callers who are not admins, before the request is parsed: a listener's request is
    refused as such, whatever its parameters or body (place it right under the route)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403, "Only administrators can do this.")
        return view(*args, **kwargs)

    return wrapper
