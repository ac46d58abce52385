"""Small helpers the page blueprints share: htmx detection, safe redirects back, paging arguments, 404s."""

from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, url_for
from werkzeug.wrappers import Response

from .auth.routes import safe_next_url
from .limits import MAX_PAGE

T = TypeVar("T")


def is_htmx() -> bool:
    """True for a request htmx made (it wants a partial, not a page)."""
    return request.headers.get("HX-Request") == "true"


def redirect_back(default_endpoint: str, **values: Any) -> Response:
    """Redirect to the form's `next` (same site only), else to a default page."""
    return redirect(safe_next_url(request.form.get("next")) or url_for(default_endpoint, **values))


def whole_number(raw: str, name: str, low: int, high: int) -> int:
    """A query argument's text as a whole number from low to high, else 400 (never an SQL overflow)."""
    # ASCII digits only: int() would also take "7_000" and other scripts' digits. No more digits
    # than `high` has, so a huge string is refused before it is parsed.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))) or not low <= int(raw) <= high:
        abort(400, f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def page_arg() -> int:
    """The `page` query argument: a whole number from 1 to MAX_PAGE, else 400."""
    return whole_number(request.args.get("page", "1").strip(), "page", 1, MAX_PAGE)


def found(row: T | None, message: str) -> T:
    """The row a service found for an id in the path, else 404 with the message ("No song with id 7.")."""
    if row is None:
        abort(404, message)
    return row


def current_path() -> str:
    """The page the user is looking at (for htmx requests, the page that made them), as a local path.

    Kept for the request: every card's two action forms ask for it.
    """
    if "current_path" not in g:
        g.current_path = _current_path()
    path: str = g.current_path
    return path


def _current_path() -> str:
    url = request.headers.get("HX-Current-URL") if is_htmx() else None
    if url:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    else:
        path = request.full_path.rstrip("?")
    return safe_next_url(path) or "/"
