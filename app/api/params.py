"""Query-string parsing for the API: every bad value is a 400 that names the parameter.

The API is strict where the OpenAPI document is (tests/test_schemathesis.py holds the two to each
other): a parameter given twice, or a typed one (number, true/false, one of a set) given empty,
is a 400 rather than a guess. Free text may be empty, which means "no filter".
"""

import re

from flask import abort, request

from ..catalog.vocab import EMOTIONS
from ..limits import MAX_PAGE
from ..services.recommendations import Filters

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_K = 100
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,30}")  # 30 digits: past any bound, short of int()'s limits


def single_arg(name):
    """The one value of a query parameter, or None when absent; 400 when it is repeated."""
    values = request.args.getlist(name)
    if len(values) > 1:
        abort(400, f"{name} must be given once, not {len(values)} times")
    return values[0] if values else None


def int_arg(name, default, low, high):
    """A whole-number query parameter within [low, high]; both ends are required, so SQL never overflows."""
    raw = single_arg(name)
    if raw is None:
        return default
    # ASCII digits only: int() would also take " 7", "7_000" and other scripts' digits.
    if not WHOLE_NUMBER.fullmatch(raw):
        abort(400, f"{name} must be a whole number, not {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        abort(400, f"{name} must be from {low} to {high}, not {value}")
    return value


def bool_arg(name):
    """A true/false query parameter, or None when absent."""
    raw = single_arg(name)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    abort(400, f"{name} must be true or false, not {raw!r}")


def choice_arg(name, choices, default):
    """A query parameter that must be one of a fixed set; the default when absent."""
    value = single_arg(name)
    if value is None:
        return default
    if value not in choices:
        abort(400, f"{name} must be one of: {', '.join(choices)} (not {value!r})")
    return value


def text_arg(name, limit=200):
    """A free-text query parameter, trimmed, or None."""
    return (single_arg(name) or "").strip()[:limit] or None


def emotion_arg():
    """The `emotion` filter, one of the catalog's emotions, or None when absent."""
    return choice_arg("emotion", EMOTIONS, None)


def paging():
    """(page, per_page) from the query string."""
    return int_arg("page", 1, 1, MAX_PAGE), int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


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
