"""Forms of the followup feature."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from eventkit.followup.models import ACTION_LABELS, RECORDABLE, RHYTHMS, SNOOZE_MAX_DAYS


class ActionForm(FlaskForm):
    kind = SelectField("What did you do?", choices=[SelectChoice(k.value, ACTION_LABELS[k]) for k in RECORDABLE],
                       validators=[DataRequired()])
    note = TextAreaField("A short note", validators=[Length(max=1000)],
                         description="e.g. “Sent the deck we talked about and introduced her to Sam.”")


class FadeForm(FlaskForm):
    reason = TextAreaField("Why close it?", validators=[DataRequired(), Length(min=3, max=300)],
                           description="e.g. “We talked it through: no overlap for now.”")


class EncounterForm(FlaskForm):
    other_id = SelectField("Who did you meet?", coerce=int, validators=[DataRequired()])
    note = TextAreaField("What about? (optional)", validators=[Length(max=300)])


class SnoozeForm(FlaskForm):
    choice = RadioField("Remind me", choices=[SelectChoice("week", "In a week"), SelectChoice("month", "In a month"),
                                              SelectChoice("date", "On a date")],
                        default="week", validators=[DataRequired()])
    on_date = DateField("Date", validators=[Optional()],
                        description=f"At most {SNOOZE_MAX_DAYS} days ahead.")


class RhythmForm(FlaskForm):
    days = SelectField("Stay in touch", coerce=int, choices=[SelectChoice(days, label) for days, label in RHYTHMS.items()])
