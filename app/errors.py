"""Error pages, and a clear 400 when a form's CSRF token is missing or stale."""

from flask import render_template, request
from flask_wtf.csrf import CSRFError

from .extensions import db

_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Not allowed", 500: "Server error"}


def _wants_json():
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(code, message):
    """An HTML page or, for API clients, a JSON body with the status and message."""
    if _wants_json():
        return {"error": _TITLES.get(code, "Error"), "message": message, "status": code}, code
    return render_template("error.html", code=code, title=_TITLES.get(code, "Error"), message=message), code


def register(app):
    """Install the handlers on the app."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, f"The form expired or was not sent from this site ({error.description}). Reload the page and try again.")

    for code in (400, 403, 404, 405):

        @app.errorhandler(code)
        def http_error(error, code=code):
            return error_response(code, error.description)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return error_response(500, "Something went wrong on our side. Please try again.")
