"""Forms for registering and logging in."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from .passwords import MAX_LENGTH, MIN_LENGTH, password_problem

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in")
    next = HiddenField()


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            DataRequired(),
            Length(min=3, max=64),
            Regexp(USERNAME_PATTERN, message="Use letters, digits, '.', '_' or '-' only."),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)])
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )

    def validate_password(self, field):
        """The rest of the password policy (app/auth/passwords.py), shown under the field."""
        if field.errors:  # too short or missing: Length and DataRequired have said so already
            return
        problem = password_problem(field.data, self.username.data)
        if problem:
            raise ValidationError(problem)
