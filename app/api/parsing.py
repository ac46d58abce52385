"""How the API reads requests: flask-smorest's Blueprint with a webargs parser made to the API's rules.

Every bad value is a 400 naming the parameter or field, with a message for each in `fields`. Changes
from webargs' defaults, each for a reason:

- 400, not 422, as the API has always answered and its clients expect.
- JSON bodies are read by Flask (request.get_json), so the app's bounded JSON provider applies:
  webargs' own json.loads lets 5,000 nested brackets raise RecursionError (a 500).
- A query parameter given twice, where the document says one value, is refused rather than guessed.
"""

from collections.abc import Mapping
from typing import Any, NoReturn

import flask_smorest
from flask import Request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

from ..errors import json_error

WHERE = {
    "query": "query parameters",
    "querystring": "query parameters",
    "json": "JSON body",
    "headers": "headers",
}
NOT_JSON = "Send a JSON object (Content-Type: application/json)."


class InvalidRequest(BadRequest):
    """A 400 that names each bad parameter or field; `fields` maps each to its message."""

    def __init__(self, fields: Mapping[str, str], where: str = "request") -> None:
        self.fields = dict(fields)
        parts = [text if name == "body" else f"{name}: {text}" for name, text in self.fields.items()]
        super().__init__(f"Invalid {where}: " + "; ".join(parts))


def invalid_request_answer(error: InvalidRequest) -> ResponseReturnValue:
    """The API's JSON error with `fields` added (the blueprint's handler for InvalidRequest)."""
    body, status, headers = json_error(400, error.description)
    return {**body, "fields": error.fields}, status, headers


def _texts(messages: Any) -> list[str]:
    # Marshmallow nests messages for list items and nested objects: {"genres": {0: ["..."]}}.
    if isinstance(messages, Mapping):
        return [
            f"item {key}: {text}" if isinstance(key, int) else text
            for key, value in messages.items()
            for text in _texts(value)
        ]
    if isinstance(messages, (list, tuple)):
        return [text for value in messages for text in _texts(value)]
    return [str(messages)]


def field_messages(messages: Mapping[str, Any]) -> dict[str, str]:
    """Marshmallow's messages as one text per field; errors about the whole body are "body"."""
    return {
        ("body" if name == "_schema" else str(name)): "; ".join(_texts(value))
        for name, value in messages.items()
    }


class Parser(FlaskParser):
    """webargs' Flask parser, with the API's status, JSON reading and error answer."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: Request, schema: Schema) -> Any:
        if not req.is_json:
            raise ValidationError(NOT_JSON)
        try:
            return req.get_json()
        except BadRequest as exc:  # malformed, or nested deeper than app/limits.py allows
            raise ValidationError(f"The body is not valid JSON ({exc.description})") from None

    def pre_load(self, location_data: Any, *, schema: Schema, req: Request, location: str) -> Any:
        if location in ("query", "querystring"):
            repeated = {
                name: f"must be given once, not {len(values)} times"
                for name, values in req.args.lists()
                if len(values) > 1 and name in schema.fields and not self._is_multiple(schema, name)
            }
            if repeated:
                raise ValidationError(repeated)
        return location_data

    def _is_multiple(self, schema: Schema, name: str) -> bool:
        return isinstance(schema.fields[name], tuple(self.KNOWN_MULTI_FIELDS))

    def handle_error(
        self,
        error: ValidationError,
        req: Request,
        schema: Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        # webargs puts the messages under the location they came from: {"query": {"k": [...]}}.
        ((location, messages),) = error.messages.items()
        if not isinstance(messages, Mapping):
            messages = {"_schema": messages}
        raise InvalidRequest(field_messages(messages), WHERE.get(location, location))


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint (routes documented from their schemas) reading with the API's parser."""

    ARGUMENTS_PARSER = Parser()
