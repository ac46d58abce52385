"""Error pages, and a clear 400 when a form's CSRF token is missing or stale."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .extensions import db

_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Not allowed",
    413: "Request too large", 429: "Too many requests", 500: "Server error",
}

# Programs call these paths (the API, the original recommendation paths): errors there are always JSON.
JSON_ONLY_PREFIXES = (
    "/api/",
    "/recommendations/content_based_recommendations/",
    "/recommendations/collaborative_recommendations/",
    "/recommendations/knowledge_based/",
)


def _json_only():
    return request.path.startswith(JSON_ONLY_PREFIXES)


def _wants_json():
    if _json_only():
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(code, message, headers=None):
    """An HTML page or, for API clients, a JSON body with the status and message."""
    if _wants_json():
        title = _TITLES.get(code) or HTTP_STATUS_CODES.get(code, "Error")
        return {"error": title, "message": message, "status": code}, code, headers or {}
    page = render_template("error.html", code=code, title=_TITLES.get(code, "Error"), message=message)
    return page, code, headers or {}


def _headers(error):
    # Keep what the status needs (Allow on a 405); the body's Content-Type is ours to set.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    if error.code == 401 and _json_only():
        headers.setdefault("WWW-Authenticate", "Bearer")
    return headers


def register(app):
    """Install the handlers on the app."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if _json_only():
            return error_response(400, f"CSRF check failed ({error.description}): send the page's CSRF token "
                                       "in the X-CSRFToken header, or use a Bearer token.")
        return error_response(400, f"The form expired or was not sent from this site ({error.description}). Reload the page and try again.")

    # 413: a body over MAX_CONTENT_LENGTH (app/limits.py) gets the site's page, or JSON on the API.
    for code in (400, 401, 403, 404, 405, 413):

        @app.errorhandler(code)
        def http_error(error, code=code):
            return error_response(code, error.description, _headers(error))

    @app.errorhandler(HTTPException)
    def other_http_error(error):
        # Elsewhere Werkzeug's own page is fine for rarer statuses; API clients always get JSON.
        if _json_only():
            return error_response(error.code, error.description, _headers(error))
        return error

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return error_response(500, "Something went wrong on our side. Please try again.")
