"""Bounded input: ids, pages, JSON nesting and body size that the app accepts, and how it refuses more.

Every integer that reaches SQL must fit the database's 64-bit INTEGER/BIGINT: SQLite raises
OverflowError (a 500) for 2**63 and PostgreSQL a DataError. So path ids stop at the route
converter (404: no such thing can exist), query and JSON numbers at their parsers (400).
"""

import json
from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT both stop here
# Pages far beyond any catalog (a billion pages of 100 songs) while OFFSET = (page - 1) * per_page
# stays inside DB_INT_MAX for every per_page the app allows.
MAX_PAGE = 10**9
# The API's bodies are objects of scalars and lists (depth 2); deep nesting only costs us, and
# Python's parser raises RecursionError (a 500) a few thousand levels down.
MAX_JSON_DEPTH = 32


def decimal_at_most(limit: int) -> str:
    """A regular expression for the numbers 1..limit written in decimal without leading zeros."""
    digits = str(limit)
    options = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []  # shorter numbers
    for i, digit in enumerate(digits):  # as long as limit: equal up to i, then a smaller digit
        low = 1 if i == 0 else 0
        if int(digit) > low:
            options.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class DbIdConverter(IntegerConverter):
    """`<int:...>` in every route: 1 to DB_INT_MAX, so a larger id is a 404 and never reaches SQL.

    The bound is in the regular expression, not only in to_python: Werkzeug answers a value its
    converter refuses with 405 when another method shares the path (GET and PATCH /songs/<id>),
    while a path no rule matches is a plain 404.
    """

    regex = decimal_at_most(DB_INT_MAX)

    def __init__(
        self,
        map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = DB_INT_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when containers nest deeper than `limit` (walked with a stack: no recursion to overflow)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that parsing refuses very deep documents with ValueError.

    request.get_json() turns a ValueError into a 400 (or None with silent=True), which is what
    malformed JSON gets; a RecursionError would escape it as a 500.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
        if json_depth_exceeds(value):
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
        return value


def db_int(value: Any, name: str) -> int:
    """A JSON id: a whole number from 1 to DB_INT_MAX, else a 400 that names the field."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= DB_INT_MAX:
        abort(400, f"{name} must be a whole number from 1 to {DB_INT_MAX}, not {value!r}.")
    return value


def refuse_large_bodies() -> None:
    """before_request: 413 for a declared body over the limit, even on routes that never read it."""
    length, limit = request.content_length, request.max_content_length
    if length is not None and limit is not None and length > limit:
        abort(413, f"The request body is {length:,} bytes; at most {limit:,} are accepted.")


def install(app: Flask) -> None:
    """Bound route ids, JSON depth and body size (MAX_CONTENT_LENGTH is in app/config.py).

    Call before any blueprint adds its routes.
    """
    # Rules pick their converter when they are added, so this must precede register_blueprints.
    app.url_map.converters["int"] = DbIdConverter
    app.json = BoundedJSONProvider(app)
    app.before_request(refuse_large_bodies)
