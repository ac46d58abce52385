"""Error answers: the site's pages app-wide, and JSON on the blueprints that register it for themselves.

A blueprint that serves programs registers its own handlers on itself (`json_errors(bp)` gives
the JSON body below); Flask prefers them for errors raised while serving that blueprint's routes.
The app-wide handlers render the site's page (JSON when the client's Accept header prefers it)
and defer to a blueprint's handlers where Flask alone would not:

- They are registered by exception class, never by status code: Flask tries every code handler,
  the app's too, before any class handler, so an app-wide 404 would beat a blueprint's handler for
  HTTPException.
- An error raised before routing found a route (404: no rule matches the path; 405: not with this
  method) belongs to no blueprint in Flask. It goes to the blueprint whose rules share the most
  leading literal path segments with the path (`route_owner`): /api/v1/no-such-thing to the API's
  handlers. A path that two blueprints' rules match equally well, or none, gets the site's page.
- An error answered outside any handler (throttle's 429, through `error_response`) goes to the
  owning blueprint's handler too.
"""

from collections.abc import Callable, Mapping
from typing import Any, cast

from flask import Blueprint, Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from .services.transactions import discard_changes

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Not allowed",
    413: "Request too large",
    429: "Too many requests",
    500: "Server error",
}
# Statuses the site answers with its own page; rarer ones keep Werkzeug's.
PAGE_CODES = frozenset({400, 401, 403, 404, 405, 413, 500})
SERVER_ERROR = "Something went wrong on our side. Please try again."

Handler = Callable[[HTTPException], ResponseReturnValue]
JsonError = tuple[dict[str, Any], int, dict[str, str]]


def json_error(code: int, message: str, headers: Mapping[str, str] | None = None) -> JsonError:
    """(body, status, headers) of the JSON error programs get: {"error": title, "message", "status"}."""
    title = _TITLES.get(code) or HTTP_STATUS_CODES.get(code, "Error")
    return {"error": title, "message": message, "status": code}, code, dict(headers or {})


def _headers(error: HTTPException) -> dict[str, str]:
    # Keep what the status needs (Allow on a 405); the body's Content-Type is ours to set.
    return {k: v for k, v in error.get_headers() if k.lower() != "content-type"}


def json_http_error(error: HTTPException) -> ResponseReturnValue:
    """Any HTTP error as JSON; a 401 names the Bearer scheme; a 500 rolls back and says no more."""
    code, headers = error.code or 500, _headers(error)
    if code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if code == 500:
        discard_changes()
        return json_error(500, SERVER_ERROR, headers)
    return json_error(code, error.description or "", headers)


def json_csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A failed CSRF check as JSON, saying how a program passes it."""
    return json_error(
        400,
        f"CSRF check failed ({error.description}): send the page's CSRF token "
        "in the X-CSRFToken header, or use a Bearer token.",
    )


JSON_HANDLERS: dict[type[HTTPException], Handler] = {
    CSRFError: json_csrf_error,
    HTTPException: json_http_error,
}


def json_errors(blueprint: Blueprint) -> None:
    """Register the JSON error answers on a blueprint that serves programs (before the app registers it)."""
    for exception, handler in JSON_HANDLERS.items():
        blueprint.register_error_handler(exception, handler)


def _literal_prefix(rule: str) -> list[str]:
    literals = []
    for segment in rule.strip("/").split("/"):
        if not segment or "<" in segment:
            break
        literals.append(segment)
    return literals


def route_owner(path: str) -> tuple[str | None, str | None]:
    """(blueprint, endpoint) of the rules sharing the most leading literal segments with the path.

    Either is None where those rules disagree on it, or where no rule shares a segment.
    """
    segments = path.strip("/").split("/")
    best, endpoints = 0, set[str]()
    for rule in current_app.url_map.iter_rules():
        shared = 0
        for literal, segment in zip(_literal_prefix(rule.rule), segments):
            if literal != segment:
                break
            shared += 1
        if shared and shared >= best:
            if shared > best:
                best, endpoints = shared, set()
            endpoints.add(rule.endpoint)
    blueprints = {endpoint.rpartition(".")[0] or None for endpoint in endpoints}
    blueprint = blueprints.pop() if len(blueprints) == 1 else None
    return blueprint, endpoints.pop() if len(endpoints) == 1 else None


def _blueprint_names() -> list[str]:
    # The request's blueprint and its parents, as Flask looks handlers up; for an error raised
    # before routing, those of the blueprint owning the path.
    if request.blueprints:
        return request.blueprints
    name = route_owner(request.path)[0]
    names = []
    while name:
        names.append(name)
        name = name.rpartition(".")[0]
    return names


def blueprint_handler(error: HTTPException) -> Handler | None:
    """The handler the request's (or the path's) blueprint registered for this error, in Flask's order."""
    spec = current_app.error_handler_spec
    names = _blueprint_names()
    for code in (error.code, None):
        for name in names:
            # .get: the spec is a defaultdict, and looking must not add entries to it.
            handlers = spec.get(name, {}).get(code) or {}
            for cls in type(error).__mro__:
                if cls in handlers:
                    return cast(Handler, handlers[cls])
    return None


def _prefers_json() -> bool:
    accept = request.accept_mimetypes
    best = accept.best_match(["application/json", "text/html"])
    return best == "application/json" and accept[best] > accept["text/html"]


def _site_error(code: int, message: str, headers: Mapping[str, str] | None = None) -> ResponseReturnValue:
    if _prefers_json():
        return json_error(code, message, headers)
    page = render_template("error.html", code=code, title=_TITLES.get(code, "Error"), message=message)
    return page, code, dict(headers or {})


def _exception(code: int, message: str) -> HTTPException:
    error = default_exceptions.get(code, HTTPException)(description=message)
    error.code = code
    return error


def error_response(code: int, message: str, headers: Mapping[str, str] | None = None) -> ResponseReturnValue:
    """The answer to an error given outside the handlers (throttle's 429): the owning blueprint's own
    handler when it has one for the status, else the site's page; `headers` are added either way.

    A blueprint's handler must not call this (it would call itself): it answers with json_error.
    """
    error = _exception(code, message)
    handler = blueprint_handler(error)
    if handler is None:
        return _site_error(code, message, headers)
    response = current_app.make_response(handler(error))
    response.headers.update(dict(headers or {}))
    return response


def register(app: Flask) -> None:
    """Install the app-wide handlers (by exception class, so blueprints' own handlers come first)."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        handler = blueprint_handler(error)
        if handler is not None:
            return handler(error)
        return _site_error(
            400,
            f"The form expired or was not sent from this site ({error.description}). "
            "Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        handler = blueprint_handler(error)
        if handler is not None:
            return handler(error)
        if error.code == 500:
            discard_changes()
            return _site_error(500, SERVER_ERROR, _headers(error))
        if error.code not in PAGE_CODES:
            return error  # Werkzeug's own page is fine for rarer statuses
        # 413: a body over MAX_CONTENT_LENGTH (app/limits.py) gets the site's page.
        return _site_error(error.code, error.description or "", _headers(error))
