"""Forms of the guest list."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from eventkit.attendees.services import ACTION_LABELS


class GuestForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = StringField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    organisation = StringField("Organisation", validators=[Optional(), Length(max=120)])
    role = StringField("Role", validators=[Optional(), Length(max=120)])
    field = StringField("Field", validators=[Optional(), Length(max=80)],
                        description="e.g. Climate, Design, Finance: matching favours conversations across fields.")


class StatusForm(FlaskForm):
    """The select on each row offers only the actions valid for that guest (services check again)."""

    action = StringField("Change status", validators=[DataRequired(), AnyOf(list(ACTION_LABELS))])


class BulkStatusForm(FlaskForm):
    """One action for the guests ticked in the list (the service checks them all before changing any)."""

    action = StringField("With the selected guests", validators=[DataRequired("Choose what to do with the selected guests."),
                                                                 AnyOf(list(ACTION_LABELS))])
    ids = SelectMultipleField("Guests", coerce=int, validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")],
                     description="Columns name and email are required; organisation, role and field are optional. "
                                 "Comma or semicolon separated, UTF-8.")


class ConfirmImportForm(FlaskForm):
    payload = HiddenField(validators=[DataRequired()])


class LinkRequestForm(FlaskForm):
    email = StringField("Your email", validators=[DataRequired(message="Type the email your invitation went to."),
                                                  Email(check_deliverability=False), Length(max=254)],
                        filters=[lambda value: value.strip() if isinstance(value, str) else value],
                        render_kw={"autocomplete": "email", "autocapitalize": "none", "inputmode": "email"})
