"""Forms of the followup feature."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from eventkit.followup.models import ACTION_LABELS, RECORDABLE


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
