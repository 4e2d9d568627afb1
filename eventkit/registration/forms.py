"""Forms of the registration feature: the public sign-up form, the organiser's settings and questions."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from eventkit.registration.models import KIND_LABELS, MODE_LABELS, PROFILE_TARGETS

TARGET_CHOICES = [SelectChoice("", "Nothing")] + [SelectChoice(key, label) for key, label in PROFILE_TARGETS.items()]
_strip = [lambda value: value.strip() if isinstance(value, str) else value]


class SignUpForm(FlaskForm):
    """Name and email; the questions' fields are read by the view (their names are `q<id>`)."""

    name = StringField("Your name", validators=[DataRequired(message="Type your name."), Length(max=120)],
                       filters=_strip, render_kw={"autocomplete": "name"})
    email = StringField("Your email", validators=[DataRequired(message="Type your email."),
                                                  Email(check_deliverability=False), Length(max=254)],
                        filters=_strip,
                        render_kw={"autocomplete": "email", "autocapitalize": "none", "inputmode": "email"})
    #: the spam trap: hidden from people by CSS, filled by bots that fill every field
    website = StringField("Leave this empty", validators=[Optional()],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})


class SettingsForm(FlaskForm):
    mode = RadioField("How guests come in", choices=[SelectChoice(m.value, label) for m, label in MODE_LABELS.items()],
                      validators=[DataRequired()])
    address_confirmed_only = BooleanField("Show the exact address only to confirmed guests")
    area = StringField("Area shown instead", validators=[Optional(), Length(max=120)],
                       description="e.g. “Amsterdam, near Centraal”: what the public page says while the address is hidden.")


class QuestionForm(FlaskForm):
    label = StringField("Question", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])
    required = BooleanField("Required")
    options = TextAreaField("Choices, one per line", validators=[Optional(), Length(max=3000)],
                            description="For one or several choices. For offers and seeks, leave empty to offer every topic tag.")
    profile_target = SelectField("Fills the profile", choices=TARGET_CHOICES,
                                 validators=[Optional()])
