"""Forms of the events feature."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from eventkit.errors import DomainError
from eventkit.events import rules
from eventkit.events.zones import DEFAULT_ZONE, local_to_utc, utc_to_local, zone_choices

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class EventForm(FlaskForm):
    """Create or edit a gathering; times are entered in the gathering's own time zone."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    theme = StringField("Theme (the niche)", validators=[Optional(), Length(max=200)],
                        description="Who is this for? e.g. Climate-tech founders and the engineers who build for them")
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])
    venue = StringField("Venue", validators=[Optional(), Length(max=300)])
    timezone = SelectField("Time zone", default=DEFAULT_ZONE, validate_choice=True)
    starts_local = DateTimeLocalField("Starts", format=LOCAL_FORMAT, validators=[InputRequired(message="Give a start date and time.")])
    ends_local = DateTimeLocalField("Ends", format=LOCAL_FORMAT, validators=[InputRequired(message="Give an end date and time.")])
    capacity = IntegerField("Capacity", default=40, validators=[
        InputRequired(message="Give the number of places."),
        NumberRange(min=rules.MIN_CAPACITY, max=rules.MAX_CAPACITY,
                    message=f"Between {rules.MIN_CAPACITY} and {rules.MAX_CAPACITY} guests."),
    ])
    followup_first_hours = IntegerField("First follow-up due (hours after the end)", default=48, validators=[
        InputRequired(message="Give a number of hours."),
        NumberRange(min=1, max=rules.MAX_FIRST_HOURS, message=f"Between 1 and {rules.MAX_FIRST_HOURS} hours."),
    ])
    followup_cadence_days = StringField(
        "Later check-ins (days after the end)", default="7,30,90", validators=[Length(max=100)],
        description="Comma separated, increasing, e.g. 7,30,90. Leave empty for none.",
    )
    followup_blocks_registration = BooleanField(
        "Guests with overdue follow-ups cannot accept my next invitation until they catch up"
    )
    field_options_text = StringField(
        "Fields guests choose from", validators=[Length(max=2000)],
        description="Comma separated, e.g. Climate, Design, Finance. Guests may also type their own.",
    )

    def __init__(self, *args, event=None, **kwargs):
        if event is not None:
            kwargs.setdefault("starts_local", utc_to_local(event.starts_at, event.timezone))
            kwargs.setdefault("ends_local", utc_to_local(event.ends_at, event.timezone))
            kwargs.setdefault("field_options_text", ", ".join(event.field_options or []))
        else:
            kwargs.setdefault("field_options_text", ", ".join(rules.DEFAULT_FIELDS))
        super().__init__(*args, obj=event, **kwargs)
        self.timezone.choices = zone_choices()

    def validate_followup_cadence_days(self, field) -> None:
        try:
            field.data = rules.normalise_cadence(field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None

    def validate_field_options_text(self, field) -> None:
        try:
            rules.parse_field_options(field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None

    def validate_ends_local(self, field) -> None:
        starts, ends, zone = self.starts_local.data, field.data, self.timezone.data
        if starts is None or ends is None or self.timezone.errors:
            return
        try:
            starts_utc = local_to_utc(starts, zone)
            ends_utc = local_to_utc(ends, zone)
        except DomainError as error:
            raise ValidationError(error.message) from None
        if ends_utc <= starts_utc:
            raise ValidationError("The end must be after the start.")

    def values(self) -> dict:
        """The model's column values from the validated form (times converted to UTC)."""
        zone = self.timezone.data
        return {
            "title": self.title.data.strip(),
            "theme": (self.theme.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "venue": (self.venue.data or "").strip(),
            "timezone": zone,
            "starts_at": local_to_utc(self.starts_local.data, zone),
            "ends_at": local_to_utc(self.ends_local.data, zone),
            "capacity": self.capacity.data,
            "followup_first_hours": self.followup_first_hours.data,
            "followup_cadence_days": self.followup_cadence_days.data,
            "followup_blocks_registration": bool(self.followup_blocks_registration.data),
            "field_options": rules.parse_field_options(self.field_options_text.data),
        }


class TagForm(FlaskForm):
    names = StringField("Add topic tags", validators=[DataRequired(message="Type a tag first."), Length(max=1000)],
                        description="One or more, comma separated, e.g. Fundraising, Hiring, Rust")


class CoOrganiserForm(FlaskForm):
    email = EmailField("Add a co-organiser by email", validators=[DataRequired(message="Type their email."),
                                                                  Length(max=254)],
                       description="They need an organiser account already.")


class StatusForm(FlaskForm):
    status = StringField(validators=[DataRequired()])


class DeleteEventForm(FlaskForm):
    confirm_title = StringField("Type the gathering's title to confirm",
                                validators=[DataRequired(message="Type the title to confirm."), Length(max=200)])
