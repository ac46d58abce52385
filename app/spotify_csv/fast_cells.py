"""The cell parsers of the fast row parser (row_parser.py): each gives parse_row's value for the cells
it accepts and raises ValueError for any other, which row_parser then hands to parse_row for the
exact record or reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from . import parsing as p
from .vocab import EMOTIONS

# Distinct cell texts remembered per column: enough for every key, flag, genre list and most dates
# and lengths of the 500,000-row file, and a bound, so memory stays flat whatever the file holds.
MEMO_LIMIT = 8192

Value = TypeVar("Value")  # what a cell parses to


def memo(parse: Callable[[str | None], Value]) -> Callable[[str | None], Value]:
    """`parse` with its answer kept for each distinct cell text; errors are never kept."""
    answers: dict[str | None, Value] = {}

    def parse_cell(value: str | None) -> Value:
        try:
            return answers[value]
        except KeyError:
            answer = parse(value)  # a ValueError goes to the caller, which asks parse_row why
            if len(answers) < MEMO_LIMIT:
                answers[value] = answer
            return answer

    return parse_cell


def number(value: str | None, low: float, high: float) -> float | None:
    """parse_ranged's number from low to high, None for an empty cell."""
    # parse_ranged without its special cases: float() accepts exactly the cells parse_float accepts,
    # except a decimal comma or a blank of spaces, which raise here and go to parse_row.
    if not value:
        return None
    parsed = float(value)
    if not low <= parsed <= high:  # NaN and the infinities fail it too, as parse_float rejects them
        raise ValueError(value)
    return parsed


def percent(value: str | None) -> float | None:
    """A percentage (0 to 100) on the 0-1 scale, rounded to 4 places, as parse_row gives it."""
    ranged = number(value, 0, 100)
    return None if ranged is None else round(ranged / 100, 4)


def text(value: str | None) -> str | None:
    """clean_text: trimmed, inner white space collapsed, blank gives None."""
    return " ".join(value.split()) or None if value else None


def emotion(value: str | None) -> str | None:
    """parse_row's emotion: a known emotion, lower-cased, or None for a blank."""
    cleaned = p.clean_text(value)
    if cleaned is not None:
        cleaned = cleaned.lower()
        if cleaned not in EMOTIONS:
            raise ValueError(value)
    return cleaned


def popularity(value: str | None) -> int | None:
    """parse_row's popularity: 0 to 100, rounded to a whole number."""
    ranged = p.parse_ranged(value, "popularity", 0, 100)
    return None if ranged is None else round(ranged)


def tracks_mode(value: str | None) -> int | None:
    """The tracks schema's mode: 1 major, 0 minor, None for an empty cell."""
    mode = p.parse_int(value, "mode")
    if mode not in (None, 0, 1):
        raise ValueError(value)
    return mode
