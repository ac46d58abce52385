"""Marshmallow fields as strict as the API: JSON types taken as sent, query text parsed exactly.

Marshmallow's own fields convert what they can: Integer takes "7" and 7.0, Float takes "0.5",
Boolean takes 1 and "on", and int() under Integer reads "1_0" as 10 (and other scripts' digits).
The API refuses each (a client that sends them has a bug, and the OpenAPI document, which
Schemathesis holds the server to, says integer, number, boolean). Each field's messages say what
would be accepted, with the bounds, so a 400 names the fix.
"""

from typing import Any

from marshmallow import ValidationError, fields, validate

from ..limits import DB_INT_MAX


def _range_text(low: float, high: float) -> str:
    return f"from {low:g} to {high:g}"


class JsonInteger(fields.Integer):
    """A JSON whole number within [low, high]; no strings, floats or booleans (marshmallow refuses
    booleans in every number field; strict refuses the rest)."""

    def __init__(self, low: int, high: int, **kwargs: Any) -> None:
        message = f"must be a whole number {_range_text(low, high)}"
        kwargs.setdefault("error_messages", {}).setdefault("invalid", message)
        super().__init__(strict=True, validate=validate.Range(low, high, error=message), **kwargs)


def Id(**kwargs: Any) -> JsonInteger:
    """An id in a JSON body: the database's integer range, so SQL never overflows."""
    return JsonInteger(1, DB_INT_MAX, **kwargs)


class JsonNumber(fields.Float):
    """A finite JSON number within [low, high]; no strings (Float would read "0.5") or booleans."""

    def __init__(self, low: float, high: float, **kwargs: Any) -> None:
        message = f"must be a number {_range_text(low, high)}"
        kwargs["error_messages"] = {
            "invalid": message,
            "special": message,
            **kwargs.get("error_messages", {}),
        }
        super().__init__(allow_nan=False, validate=validate.Range(low, high, error=message), **kwargs)

    def _validated(self, value: Any) -> float:
        if isinstance(value, str):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class JsonBoolean(fields.Boolean):
    """JSON true or false only (Boolean would take 1, "yes" and "on")."""

    def __init__(self, **kwargs: Any) -> None:
        message = "must be true, false or null" if kwargs.get("allow_none") else "must be true or false"
        kwargs.setdefault("error_messages", {}).setdefault("invalid", message)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class QueryInteger(fields.Integer):
    """A whole number in the query string: ASCII digits only, no more of them than `high` has.

    The length check comes first, so a string of a million digits is refused before int() reads it.
    """

    def __init__(self, low: int, high: int, **kwargs: Any) -> None:
        self.message = f"must be a whole number {_range_text(low, high)}"
        self.digits = len(str(high))
        super().__init__(validate=validate.Range(low, high, error=self.message), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= self.digits):
            raise ValidationError(self.message)
        return int(value)


class QueryText(fields.String):
    """Free text in the query string, trimmed and cut to `limit` characters; empty means no filter."""

    def __init__(self, limit: int = 200, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        return super()._deserialize(value, attr, data, **kwargs).strip()[: self.limit] or None


def choice(options: tuple[str, ...] | list[str], error: str | None = None, **kwargs: Any) -> fields.String:
    """One of a fixed set of words (an enum in the document)."""
    error = error or f"must be one of: {', '.join(options)} (not {{input!r}})"
    return fields.String(validate=validate.OneOf(options, error=error), **kwargs)
