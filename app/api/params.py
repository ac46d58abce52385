"""Query-string parsing for the API: every bad value is a 400 that names the parameter."""

from flask import abort, request

from ..catalog.vocab import EMOTIONS
from ..services.recommendations import Filters

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_K = 100


def int_arg(name, default, low, high=None):
    """A whole-number query parameter within [low, high]."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"{name} must be a whole number, not {raw!r}")
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
        abort(400, f"{name} must be {bounds}, not {value}")
    return value


def bool_arg(name):
    """A true/false query parameter, or None when absent."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    abort(400, f"{name} must be true or false, not {raw!r}")


def choice_arg(name, choices, default):
    """A query parameter that must be one of a fixed set."""
    value = request.args.get(name, "").strip() or default
    if value not in choices:
        abort(400, f"{name} must be one of: {', '.join(choices)} (not {value!r})")
    return value


def text_arg(name, limit=200):
    """A free-text query parameter, trimmed, or None."""
    return request.args.get(name, "").strip()[:limit] or None


def emotion_arg():
    """The `emotion` filter, one of the catalog's emotions."""
    value = text_arg("emotion")
    if value is not None and value not in EMOTIONS:
        abort(400, f"emotion must be one of: {', '.join(EMOTIONS)} (not {value!r})")
    return value


def paging():
    """(page, per_page) from the query string."""
    return int_arg("page", 1, 1), int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def page_json(pagination, items):
    """A page of results with its position in the whole list."""
    return {
        "items": items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
        "pages": pagination.pages,
    }


def k_arg():
    """How many results to return, 1..100 (10 by default)."""
    return int_arg("k", 10, 1, MAX_K)


def recommendation_filters():
    """Filters for recommendations: genre, emotion, and explicit=false to keep clean songs only."""
    explicit = bool_arg("explicit")
    return Filters(no_explicit=explicit is False, genre=text_arg("genre"), emotion=emotion_arg())
