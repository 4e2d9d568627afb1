"""Forms of the messages feature."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eventkit.messages.audiences import LABELS
from eventkit.messages.models import Schedule, Template
from eventkit.messages.services import BODY_MAX, HOURS_MAX, SUBJECT_MAX

SCHEDULE_LABELS = {
    Schedule.NOW: "Send now",
    Schedule.AT: "At a date and time (the gathering's time zone)",
    Schedule.BEFORE_START: "Hours before the gathering starts",
    Schedule.AFTER_END: "Hours after the gathering ends",
}


class MessageForm(FlaskForm):
    template = HiddenField(default=Template.CUSTOM)
    subject = StringField("Subject", validators=[DataRequired(), Length(max=SUBJECT_MAX)],
                          description="{name} becomes the guest's name, {title} the gathering's.")
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=BODY_MAX)],
                         description="Plain text; line breaks and web addresses are kept. {name} becomes the "
                                     "guest's name, {title} the gathering's, {link} their own personal link (made "
                                     "when the email is sent).")
    audience = RadioField("Who gets it", choices=[SelectChoice(k.value, v) for k, v in LABELS.items()], validators=[DataRequired()])
    picked = SelectMultipleField("Guests", coerce=int, validators=[Optional()],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    schedule = RadioField("When", choices=[SelectChoice(k.value, v) for k, v in SCHEDULE_LABELS.items()], default=Schedule.NOW,
                          validators=[DataRequired()])
    at = DateTimeLocalField("Date and time", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    hours = IntegerField("Hours", validators=[Optional(), NumberRange(min=0, max=HOURS_MAX)])
    #: the count the organiser saw in the preview; sending refuses if it changed
    expected = HiddenField()


class DayBeforeForm(FlaskForm):
    on = BooleanField("Send the day-before reminder automatically (24 hours before the start, to everyone "
                      "holding a place)")
