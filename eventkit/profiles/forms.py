"""Forms of the profiles feature: the guest profile, intents, research notes and the data deletion."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from eventkit.profiles.models import IntentKind

MAX_LINKS = 3
MAX_LINK_LENGTH = 300
BIO_MAX = 1000
NOTE_MAX = 5000
STARTERS_MAX = 2000
MAX_STARTERS = 10
OTHER_FIELD = "__other__"


def parse_links(text: str) -> list[str]:
    """The non-empty lines of a links box, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def check_link(url: str) -> str | None:
    """Why `url` is not an acceptable profile link, or None if it is (http/https with a host only)."""
    if len(url) > MAX_LINK_LENGTH:
        return f"Links can be at most {MAX_LINK_LENGTH} characters long."
    if any(char.isspace() for char in url):
        return f"“{url[:60]}” contains spaces."
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"“{url[:60]}” is not a valid web address."
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return f"“{url[:60]}” is not a web address starting with http:// or https://."
    return None


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Please give your name."), Length(max=120)])
    role = StringField("Role", validators=[Length(max=120)], description="e.g. Founder, Staff engineer")
    organisation = StringField("Organisation", validators=[Length(max=120)])
    field_choice = SelectField("Field", choices=[], validate_choice=False)
    field_other = StringField("Your field, in your words", validators=[Length(max=80)])
    bio = TextAreaField(
        "Short bio", validators=[Length(max=BIO_MAX)],
        description=f"A few sentences other guests will read (at most {BIO_MAX} characters).",
    )
    links = TextAreaField(
        "Links", description=f"Up to {MAX_LINKS} web addresses (http:// or https://), one per line.",
    )
    directory_consent = BooleanField("List me in the directory for this gathering")
    print_notes = BooleanField("Include my notes in the printed copy")

    def __init__(self, *args, field_options: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.field_options = list(field_options)
        self.field_choice.choices = (
            [SelectChoice("", "Choose your field…")] + [SelectChoice(option) for option in self.field_options]
            + [SelectChoice(OTHER_FIELD, "Other (type it below)")]
        )

    def fill_from(self, attendee) -> None:
        """Pre-fill the form from a guest (on GET)."""
        self.name.data = attendee.name
        self.role.data = attendee.role
        self.organisation.data = attendee.organisation
        self.bio.data = attendee.bio
        self.links.data = "\n".join(attendee.links or [])
        self.directory_consent.data = attendee.directory_consent
        self.print_notes.data = attendee.print_notes
        if attendee.field in self.field_options:
            self.field_choice.data = attendee.field
        elif attendee.field:
            self.field_choice.data, self.field_other.data = OTHER_FIELD, attendee.field

    def validate_field_choice(self, field) -> None:
        if field.data not in ("", OTHER_FIELD, *self.field_options):
            raise ValidationError("Choose a field from the list, or “Other” and type it.")

    def validate_links(self, field) -> None:
        links = parse_links(field.data)
        if len(links) > MAX_LINKS:
            raise ValidationError(f"At most {MAX_LINKS} links, please (you gave {len(links)}).")
        for url in links:
            problem = check_link(url)
            if problem:
                raise ValidationError(problem)

    @property
    def chosen_field(self) -> str:
        if self.field_choice.data == OTHER_FIELD:
            return " ".join((self.field_other.data or "").split())
        return self.field_choice.data or ""

    def values(self) -> dict:
        """The cleaned values, as the service takes them."""
        return {
            "name": " ".join(self.name.data.split()),
            "role": (self.role.data or "").strip(),
            "organisation": (self.organisation.data or "").strip(),
            "field": self.chosen_field,
            "bio": (self.bio.data or "").strip(),
            "links": parse_links(self.links.data),
            "directory_consent": bool(self.directory_consent.data),
            "print_notes": bool(self.print_notes.data),
        }


class IntentForm(FlaskForm):
    kind = SelectField(
        "I…", choices=[SelectChoice(IntentKind.OFFER.value, "can offer"), SelectChoice(IntentKind.SEEK.value, "am looking for")],
        validators=[InputRequired()],
    )
    tag_id = SelectField("Topic", coerce=int, choices=[], validators=[InputRequired("Choose a topic.")])
    text = StringField(
        "In a few words", validators=[DataRequired("Say in a few words what you mean."), Length(max=200)],
        description="e.g. “intros to climate VCs”, “feedback on a pitch deck” (at most 200 characters).",
    )

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag_id.choices = [SelectChoice(tag.id, tag.name) for tag in tags]


class EditIntentForm(IntentForm):
    """An intent's topic and words; its kind stays as it is."""

    kind = None


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Private note", validators=[Length(max=NOTE_MAX)],
        description=f"Only you can read this (at most {NOTE_MAX} characters).",
    )
    starters = TextAreaField(
        "Conversation starters", validators=[Length(max=STARTERS_MAX)],
        description=f"One per line, at most {MAX_STARTERS}.",
    )

    def validate_starters(self, field) -> None:
        count = len([line for line in (field.data or "").splitlines() if line.strip()])
        if count > MAX_STARTERS:
            raise ValidationError(f"At most {MAX_STARTERS} conversation starters (you wrote {count}).")

    def validate_body(self, field) -> None:
        if not (field.data or "").strip() and not (self.starters.data or "").strip():
            raise ValidationError("Write a note or a conversation starter (or delete the note).")


class DeleteProfileForm(FlaskForm):
    confirm = BooleanField(
        "I understand: my profile, offers, seeks and notes are deleted for good",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons."""
