"""Admin forms: a song editor whose values go through the same checks as the API, and user actions."""

from flask_wtf import FlaskForm
from wtforms import FloatField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice as Choice
from wtforms.validators import AnyOf, Optional

from ..spotify_csv.parsing import PITCHES
from ..spotify_csv.validation import NUMBER_RANGES, SongInvalid, validate_song
from ..spotify_csv.vocab import ACTIVITY_FLAGS, AUDIO_FEATURES, EMOTIONS

UNKNOWN = ""
YES_NO = [Choice(UNKNOWN, "unknown"), Choice("1", "yes"), Choice("0", "no")]
KEYS = [Choice(UNKNOWN, "unknown")] + [Choice(str(number), name) for number, name in enumerate(PITCHES)]
MODES = [Choice(UNKNOWN, "unknown"), Choice("1", "major"), Choice("0", "minor")]
USER_ACTIONS = {
    "promote": {"is_admin": True},
    "demote": {"is_admin": False},
    "deactivate": {"is_active": False},
    "reactivate": {"is_active": True},
}


def _hint(name):
    low, high, _ = NUMBER_RANGES[name]
    return f"{low:g} to {high:g}"


class SongForm(FlaskForm):
    """Every field an admin may set; ranges are checked by app.spotify_csv.validation, as in the API."""

    title = StringField("Title")
    artist = StringField("Artist", description="Several artists: separate them with commas.")
    album = StringField("Album")
    genres = StringField("Genres", description="Comma-separated; the first is the primary genre.")
    emotion = SelectField("Emotion", choices=[Choice(UNKNOWN, "none")] + [Choice(e) for e in EMOTIONS])
    lyrics = TextAreaField("Lyrics")
    release_date = StringField("Release date", description="YYYY-MM-DD")
    release_year = IntegerField("Release year", validators=[Optional()])
    duration_s = IntegerField("Length (seconds)", validators=[Optional()])
    popularity = IntegerField("Popularity", validators=[Optional()], description=_hint("popularity"))
    tempo = FloatField("Tempo (BPM)", validators=[Optional()], description=_hint("tempo"))
    loudness = FloatField("Loudness (dB)", validators=[Optional()], description=_hint("loudness"))
    key = SelectField("Key", choices=KEYS)
    mode = SelectField("Mode", choices=MODES)
    time_signature = IntegerField("Time signature", validators=[Optional()])
    explicit = SelectField("Explicit", choices=YES_NO)


for _name in AUDIO_FEATURES:
    setattr(SongForm, _name, FloatField(_name.capitalize(), validators=[Optional()], description="0 to 1"))
for _tag, (_column, _header) in ACTIVITY_FLAGS.items():
    setattr(SongForm, _column, SelectField(_header, choices=YES_NO))

TEXT_FIELDS = ("title", "artist", "album", "release_date")
NUMBER_FIELDS = (
    "release_year",
    "duration_s",
    "popularity",
    "tempo",
    "loudness",
    "time_signature",
    *AUDIO_FEATURES,
)
CHOICE_INTS = ("key", "mode")
TRI_STATE = ("explicit", *(column for column, _ in ACTIVITY_FLAGS.values()))


def song_form_data(song):
    """A song's values as the form shows them."""
    data = {name: getattr(song, name) for name in (*TEXT_FIELDS, *NUMBER_FIELDS, "lyrics")}
    data["release_date"] = song.release_date.isoformat() if song.release_date else ""
    data["genres"] = ", ".join(song.genres or [])
    data["emotion"] = song.emotion or UNKNOWN
    for name in CHOICE_INTS:
        data[name] = UNKNOWN if getattr(song, name) is None else str(getattr(song, name))
    for name in TRI_STATE:
        data[name] = {None: UNKNOWN, True: "1", False: "0"}[getattr(song, name)]
    return data


def song_payload(form):
    """The form's values as the payload app.spotify_csv.validation checks (what the API receives)."""
    payload = {name: (getattr(form, name).data or "").strip() or None for name in TEXT_FIELDS}
    payload.update({name: getattr(form, name).data for name in NUMBER_FIELDS})
    # Browsers send CRLF line ends; stored lyrics use LF, so an untouched textarea changes nothing.
    payload["lyrics"] = (form.lyrics.data or "").replace("\r\n", "\n") or None
    payload["genres"] = [g for g in (form.genres.data or "").split(",") if g.strip()]
    payload["emotion"] = form.emotion.data or None
    for name in CHOICE_INTS:
        value = getattr(form, name).data
        payload[name] = int(value) if value and value.isdigit() else None
    for name in TRI_STATE:
        payload[name] = {"1": True, "0": False}.get(getattr(form, name).data)
    return payload


def check_song_form(form, partial):
    """Run the API's checks on the form's values too, so one submit shows every problem; True if none."""
    try:
        validate_song(song_payload(form), partial=partial)
    except SongInvalid as exc:
        # A field WTForms could not even parse already says so; don't pile a second message on it.
        unparsed = {name for name, field in form._fields.items() if field.errors}
        show_field_errors(form, {name: text for name, text in exc.fields.items() if name not in unparsed})
        return False
    return True


def show_field_errors(form, fields):
    """Put the checker's messages on the form's fields; returns messages no field can show."""
    rest = []
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is None:
            rest.append(f"{name} {message}")
        else:
            field.errors = [*field.errors, f"{field.label.text} {message}"]
    return rest


class ConfirmForm(FlaskForm):
    """A button that only posts with the CSRF token (song deletion)."""


class UserActionForm(FlaskForm):
    """One of promote, demote, deactivate or reactivate."""

    action = HiddenField(validators=[AnyOf(list(USER_ACTIONS))])
