"""Checking a song written by an admin (JSON body or form): one clear message per bad field (no Flask)."""

import datetime as dt
import math
from typing import Any

from .vocab import AUDIO_FEATURES, EMOTIONS, FLAG_COLUMNS

TEXT_LIMITS = {"title": 500, "artist": 500, "album": 500, "lyrics": 100_000}
REQUIRED = ("title", "artist")
# Field -> (low, high, whole numbers only).
NUMBER_RANGES = {
    **dict.fromkeys(AUDIO_FEATURES, (0.0, 1.0, False)),
    "popularity": (0, 100, True),
    "tempo": (0.0, 400.0, False),
    "loudness": (-100.0, 20.0, False),
    "key": (0, 11, True),
    "mode": (0, 1, True),
    "time_signature": (1, 12, True),
    "duration_s": (1, 86_400, True),
    "release_year": (1000, 2100, True),
}
BOOLEAN_FIELDS = ("explicit", *FLAG_COLUMNS)
LIST_FIELDS = {"genres": 100, "artists": 500}  # item length limits
MAX_LIST_ITEMS = 20
EDITABLE = (
    *TEXT_LIMITS,
    *NUMBER_RANGES,
    *BOOLEAN_FIELDS,
    *LIST_FIELDS,
    "emotion",
    "release_date",
)

# Song column -> its clean value: text, a number, a bool, a list of text, a date or None.
SongValues = dict[str, Any]
Errors = dict[str, str]  # field -> what is wrong with it


class SongInvalid(ValueError):
    """A song payload with bad fields; `fields` maps each field to its message."""

    def __init__(self, fields: Errors) -> None:
        super().__init__("Some fields are invalid: " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def _text(name: str, value: object, errors: Errors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = "must be text"
        return None
    value = value.strip() if name != "lyrics" else value.strip("\n\r ")
    if len(value) > TEXT_LIMITS[name]:
        errors[name] = f"must be at most {TEXT_LIMITS[name]} characters"
    return value or None


def _number(name: str, value: object, errors: Errors) -> int | float | None:
    if value is None:
        return None
    low, high, whole = NUMBER_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors[name] = f"must be a number from {low:g} to {high:g}"
        return None
    if whole:
        if value != int(value):
            errors[name] = f"must be a whole number from {low:g} to {high:g}"
            return None
        value = int(value)
    if not low <= value <= high:
        kind = "a whole number" if whole else "a number"
        errors[name] = f"must be {kind} from {low:g} to {high:g}, not {value:g}"
        return None
    return value if whole else float(value)


def _boolean(name: str, value: object, errors: Errors) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    errors[name] = "must be true, false or null"
    return None


def _string_list(name: str, value: object, errors: Errors) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors[name] = "must be a list of text"
        return []
    items = list(dict.fromkeys(" ".join(item.split()) for item in value if item.strip()))
    if name == "genres":  # genres are stored lower case, as imports do
        items = list(dict.fromkeys(item.lower() for item in items))
    if len(items) > MAX_LIST_ITEMS:
        errors[name] = f"must have at most {MAX_LIST_ITEMS} items"
    elif any(len(item) > LIST_FIELDS[name] for item in items):
        errors[name] = f"each item must be at most {LIST_FIELDS[name]} characters"
    return items


# null clears emotion and release_date; "" is refused, as the API's schema says (a form's empty
# field arrives here as None: app/admin/forms.py maps it).
def _emotion(value: object, errors: Errors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in EMOTIONS:
        errors["emotion"] = f"must be one of: {', '.join(EMOTIONS)} (or null)"
        return None
    return value.strip().lower()


def _date(value: object, errors: Errors) -> dt.date | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors["release_date"] = "must be a date written YYYY-MM-DD"
        return None


def validate_song(data: object, partial: bool = False) -> SongValues:
    """Clean Song column values from a payload (only those present when `partial`); raises SongInvalid."""
    if not isinstance(data, dict):
        raise SongInvalid({"body": "must be a JSON object of song fields"})
    errors: Errors = {}
    clean: SongValues = {}
    for name in data:
        if name == "genre":
            errors[name] = "set genres instead: the first of them is the primary genre"
        elif name not in EDITABLE:
            errors[name] = "is not a field a song can be given"
    for name in EDITABLE:
        if name not in data:
            continue
        value = data[name]
        if name in TEXT_LIMITS:
            clean[name] = _text(name, value, errors)
        elif name in NUMBER_RANGES:
            clean[name] = _number(name, value, errors)
        elif name in BOOLEAN_FIELDS:
            clean[name] = _boolean(name, value, errors)
        elif name in LIST_FIELDS:
            clean[name] = _string_list(name, value, errors)
        elif name == "emotion":
            clean[name] = _emotion(value, errors)
        else:
            clean[name] = _date(value, errors)
    for name in REQUIRED:
        if (name in data or not partial) and not clean.get(name) and name not in errors:
            errors[name] = "is required"
    if errors:
        raise SongInvalid(errors)
    return _derived(clean)


def _derived(clean: SongValues) -> SongValues:
    """Columns that follow from others, as the CSV import derives them."""
    if "genres" in clean:
        clean["genre"] = clean["genres"][0] if clean["genres"] else None
    if "artist" in clean and "artists" not in clean:
        clean["artists"] = [part.strip() for part in clean["artist"].split(",") if part.strip()]
    if clean.get("release_date") and "release_year" not in clean:
        clean["release_year"] = clean["release_date"].year
    return clean
