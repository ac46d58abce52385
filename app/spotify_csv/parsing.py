"""Parsers for the value formats found in Spotify CSV exports; each raises ValueError with a reason."""

import datetime as dt
import re
from typing import cast

PITCHES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#", "Cb": "B", "Fb": "E"}
_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})
_ORDINAL_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_MONTH_YEAR = re.compile(r"^([a-z]+)\.?,?\s+(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")
_KEY = re.compile(r"^([A-G])([#b]?)\s*(maj(?:or)?|min(?:or)?|m)?$", re.IGNORECASE)
_TRUE = {"yes", "true", "1", "y", "t"}
_FALSE = {"no", "false", "0", "n", "f"}


def blank(value: str | None) -> bool:
    """True when a cell holds nothing but white space."""
    return value is None or not value.strip()


def parse_float(value: str | None, label: str = "value") -> float | None:
    """Parse a decimal number; blank cells give None."""
    if blank(value):
        return None
    value = cast(str, value)  # not blank, so not None
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"bad number in {label}: {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"bad number in {label}: {value!r}")
    return number


def parse_int(value: str | None, label: str = "value") -> int | None:
    """Parse a whole number (a float with no fraction is accepted); blank gives None."""
    number = parse_float(value, label)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"bad whole number in {label}: {value!r}")
    return int(number)


def parse_ranged(value: str | None, label: str, low: float, high: float) -> float | None:
    """Parse a number that must lie in [low, high]."""
    number = parse_float(value, label)
    if number is not None and not low <= number <= high:
        raise ValueError(f"{label} out of range {low}-{high}: {value!r}")
    return number


def parse_fraction(value: str | None, label: str, percent: bool) -> float | None:
    """Parse an audio feature onto the 0-1 scale; `percent` means the file uses 0-100."""
    number = parse_ranged(value, label, 0, 100 if percent else 1)
    if number is None:
        return None
    return round(number / 100, 4) if percent else number


def parse_length(value: str | None, label: str = "Length") -> int | None:
    """Parse "03:47" or "1:02:03" into whole seconds."""
    if blank(value):
        return None
    value = cast(str, value)  # not blank, so not None
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"bad length in {label}: {value!r} (expected MM:SS)")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    if int(parts[-1]) >= 60:
        raise ValueError(f"bad length in {label}: {value!r} (seconds over 59)")
    return seconds


def parse_duration_ms(value: str | None, label: str = "duration_ms") -> int | None:
    """Parse milliseconds into whole seconds."""
    ms = parse_ranged(value, label, 0, 10**9)
    return None if ms is None else round(ms / 1000)


def parse_loudness(value: str | None, label: str = "Loudness (db)") -> float | None:
    """Parse "-6.85db" (or a bare number) into decibels."""
    if blank(value):
        return None
    value = cast(str, value)  # not blank, so not None
    text = value.strip().lower()
    if text.endswith("db"):
        text = text[:-2].strip()
    return parse_ranged(text, label, -100, 20)


def parse_release_date(value: str | None, label: str = "Release Date") -> tuple[dt.date | None, int | None]:
    """Parse a release date into (date or None, year or None)."""
    if blank(value):
        return None, None
    value = cast(str, value)  # not blank, so not None
    text = " ".join(value.strip().lower().split())
    try:
        if text.isdigit() and len(text) == 4:
            return None, _year(int(text))
        match = _ISO_DATE.match(text)
        if match:
            year, month, day = match.groups()
            if day is None:
                return None, _year(int(year))
            return _date(int(year), int(month), int(day)), int(year)
        match = _ORDINAL_DATE.match(text)
        if match:
            day, month, year = match.groups()
            return _date(int(year), _MONTHS[month], int(day)), int(year)
        match = _MONTH_YEAR.match(text)
        if match:
            _MONTHS[match.group(1)]  # a month name is required even though only the year is kept
            return None, _year(int(match.group(2)))
    except (KeyError, ValueError):
        pass
    raise ValueError(f"bad date in {label}: {value!r}")


def _year(year: int) -> int:
    if not 1800 <= year <= 2100:
        raise ValueError(year)
    return year


def _date(year: int, month: int, day: int) -> dt.date:
    return dt.date(_year(year), month, day)


def parse_key(value: str | None, label: str = "Key") -> tuple[int | None, int | None]:
    """Parse "D min" / "C# Maj" / "Bb" into (pitch class 0-11, mode 1 major / 0 minor / None)."""
    if blank(value):
        return None, None
    value = cast(str, value)  # not blank, so not None
    match = _KEY.match(value.strip())
    if not match:
        raise ValueError(f"bad key in {label}: {value!r}")
    letter, accidental, mode = match.groups()
    name = _FLATS.get(letter + accidental, letter + accidental)
    if name not in PITCHES:  # E# and B# are spelled F and C
        name = {"E#": "F", "B#": "C"}[name]
    if mode is None:
        return PITCHES.index(name), None
    return PITCHES.index(name), 1 if mode.lower().startswith("maj") else 0


def parse_pitch_class(value: str | None, label: str = "key") -> int | None:
    """Parse the tracks schema's integer key; -1 (no key detected) gives None."""
    key = parse_int(value, label)
    if key is None or key == -1:
        return None
    if not 0 <= key <= 11:
        raise ValueError(f"{label} out of range 0-11: {value!r}")
    return key


def parse_time_signature(value: str | None, label: str = "Time signature") -> int | None:
    """Parse "4/4" or "4" into beats per bar."""
    if blank(value):
        return None
    value = cast(str, value)  # not blank, so not None
    beats = value.strip().split("/")[0]
    number = parse_int(beats, label)
    if number == 0:  # Spotify's "could not detect"
        return None
    if number is None or not 1 <= number <= 16:  # None: no beats before the slash ("/4")
        raise ValueError(f"{label} out of range: {value!r}")
    return number


def parse_bool(value: str | None, label: str = "value") -> bool | None:
    """Parse Yes/No, TRUE/FALSE, 1/0; blank gives None."""
    if blank(value):
        return None
    value = cast(str, value)  # not blank, so not None
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in ("1.0", "0.0"):
        return text == "1.0"
    raise ValueError(f"bad yes/no in {label}: {value!r}")


def split_list(value: str | None, separator: str) -> list[str]:
    """Split a delimited cell into trimmed, non-empty items, keeping order and dropping repeats."""
    if blank(value):
        return []
    value = cast(str, value)  # not blank, so not None
    items = []
    for item in value.split(separator):
        item = " ".join(item.split())
        if item and item not in items:
            items.append(item)
    return items


def clean_text(value: str | None) -> str | None:
    """Trim a text cell and collapse inner runs of white space; blank gives None."""
    if blank(value):
        return None
    value = cast(str, value)  # not blank, so not None
    return " ".join(value.split())
