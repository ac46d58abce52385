"""Value parsers for the formats of the Spotify exports."""

import datetime as dt

import pytest

from app.spotify_csv import parsing as p
from app.spotify_csv.schemas import LYRICS_SCHEMA, TRACKS_SCHEMA, SchemaError, detect_schema


@pytest.mark.parametrize(
    "text, seconds", [("03:47", 227), ("00:59", 59), ("1:02:03", 3723), ("", None), ("  ", None)]
)
def test_length(text, seconds):
    assert p.parse_length(text) == seconds


@pytest.mark.parametrize("text", ["3.47", "03:75", "abc", "3:4x"])
def test_bad_length_says_why(text):
    with pytest.raises(ValueError, match="bad length"):
        p.parse_length(text)


@pytest.mark.parametrize(
    "text, db", [("-6.85db", -6.85), ("-7db", -7.0), ("-4.03 dB", -4.03), ("-5.1", -5.1)]
)
def test_loudness(text, db):
    assert p.parse_loudness(text) == pytest.approx(db)


def test_loudness_rejects_nonsense():
    with pytest.raises(ValueError, match="Loudness"):
        p.parse_loudness("loud")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("29th April 2013", (dt.date(2013, 4, 29), 2013)),
        ("1st January 1990", (dt.date(1990, 1, 1), 1990)),
        ("22nd Sep 2001", (dt.date(2001, 9, 22), 2001)),
        ("2013-04-29", (dt.date(2013, 4, 29), 2013)),
        ("1997", (None, 1997)),
        ("March 1997", (None, 1997)),
        ("", (None, None)),
    ],
)
def test_release_date(text, expected):
    assert p.parse_release_date(text) == expected


@pytest.mark.parametrize("text", ["31st February 2013", "29th Smarch 2013", "yesterday", "0099"])
def test_bad_release_date(text):
    with pytest.raises(ValueError, match="bad date"):
        p.parse_release_date(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("D min", (2, 0)),
        ("C# Maj", (1, 1)),
        ("Bb Major", (10, 1)),
        ("A minor", (9, 0)),
        ("G", (7, None)),
        ("", (None, None)),
    ],
)
def test_key(text, expected):
    assert p.parse_key(text) == expected


def test_bad_key():
    with pytest.raises(ValueError, match="bad key"):
        p.parse_key("H dorian")


@pytest.mark.parametrize(
    "text, expected",
    [("Yes", True), ("No", False), ("TRUE", True), ("FALSE", False), ("1", True), ("0", False), ("", None)],
)
def test_bool(text, expected):
    assert p.parse_bool(text) is expected


def test_bad_bool():
    with pytest.raises(ValueError, match="bad yes/no"):
        p.parse_bool("maybe")


def test_fraction_scales_percentages_and_checks_range():
    assert p.parse_fraction("83", "Energy", percent=True) == pytest.approx(0.83)
    assert p.parse_fraction("0.83", "energy", percent=False) == pytest.approx(0.83)
    with pytest.raises(ValueError, match="out of range"):
        p.parse_fraction("130", "Energy", percent=True)
    with pytest.raises(ValueError, match="out of range"):
        p.parse_fraction("1.5", "energy", percent=False)
    with pytest.raises(ValueError, match="bad number in Energy"):
        p.parse_fraction("lots", "Energy", percent=True)


def test_time_signature_and_pitch_class():
    assert p.parse_time_signature("4/4") == 4
    assert p.parse_time_signature("3") == 3
    assert p.parse_time_signature("0") is None  # Spotify's "not detected"
    assert p.parse_pitch_class("-1") is None
    with pytest.raises(ValueError):
        p.parse_pitch_class("12")


def test_a_time_signature_with_no_beats_is_a_bad_value_not_a_crash():
    # "/4" left parse_int(""), None, to a comparison: a TypeError that escaped the reader's
    # per-row ValueError handling and stopped the whole import.
    with pytest.raises(ValueError, match="out of range"):
        p.parse_time_signature("/4")


def test_split_list_trims_and_drops_repeats():
    assert p.split_list("hip hop, trap ,hip hop,,cloud rap", ",") == ["hip hop", "trap", "cloud rap"]


def test_detect_schema():
    assert detect_schema(["\ufeffArtist(s)", "song", "text"]) == LYRICS_SCHEMA
    assert detect_schema(["", "track_id", "artists", "track_name", "duration_ms"]) == TRACKS_SCHEMA
    with pytest.raises(SchemaError, match="unrecognised CSV header"):
        detect_schema(["name", "email"])
