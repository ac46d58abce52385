"""The profile form: age, bio, emotions and tags."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..spotify_csv.vocab import ACTIVITY_TAGS, EMOTIONS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    age = IntegerField("Age", validators=[Optional(), NumberRange(min=13, max=120)])
    bio = TextAreaField("About you", validators=[Optional(), Length(max=1000)])
    emotions = MultiCheckboxField("Moods you enjoy", choices=list(EMOTIONS))
    tags = MultiCheckboxField("Activities and genres")

    def set_tag_choices(self, genres, saved_tags):
        """Offer the activity tags, the catalog's genres and the tags the user saved before."""
        known = list(ACTIVITY_TAGS) + [g for g in genres if g not in ACTIVITY_TAGS]
        known += [t for t in saved_tags if t not in known]
        self.tags.choices = known


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=64)])
