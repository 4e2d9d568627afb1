"""Forms of the auth feature."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from eventkit.auth.services import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    normalise_email,
    organiser_by_email,
)
from eventkit.errors import DomainError


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                   message=f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a few unrelated words work well.",
        render_kw={"autocomplete": "new-password"},
    )


def _confirm_field() -> PasswordField:
    return PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class SignupForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email", "autocapitalize": "none"})
    password = _new_password_field("Password")
    confirm = _confirm_field()

    def validate_email(self, field) -> None:
        try:
            field.data = normalise_email(field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None
        if organiser_by_email(field.data) is not None:
            raise ValidationError("An organiser account with this email already exists. Sign in instead.")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                            render_kw={"autocomplete": "current-password"})
    password = _new_password_field("New password")
    confirm = _confirm_field()
