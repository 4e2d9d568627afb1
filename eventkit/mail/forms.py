"""Forms of the mail feature: the guest's choice of emails."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from eventkit.mail.kinds import Topic
from eventkit.mail.preferences import Scope


class PreferencesForm(FlaskForm):
    reminders = BooleanField(Topic.REMINDERS.label, description="When a follow-up is due soon or overdue, "
                             "and when the organiser asks you to finish your profile.")
    digest = BooleanField(Topic.DIGEST.label, description="One email a week listing your open follow-ups, "
                          "when one of them is overdue.")
    announcements = BooleanField(Topic.ANNOUNCEMENTS.label, description="News the organiser sends to the "
                                 "guests, and the reminder the day before the gathering.")
    scope = RadioField("Apply to", default=Scope.EVENT.value, validators=[InputRequired()],
                       choices=[SelectChoice(Scope.EVENT.value, "This gathering only"),
                                SelectChoice(Scope.ORGANISER.value, "All gatherings by this organiser")])

    def wanted(self) -> dict[Topic, bool]:
        return {topic: bool(getattr(self, topic.value).data) for topic in Topic}
