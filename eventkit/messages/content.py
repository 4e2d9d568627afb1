"""What a message says: the ready templates' words, and the organiser's plain text made safe for each guest.

The organiser writes plain text. "{name}" becomes the guest's name, "{title}" the gathering's and
"{link}" the guest's personal link, as a send-time placeholder (`eventkit.mail.links.send_time_link`): the outbox never holds a
working link. The HTML part escapes everything, keeps line breaks and turns http(s) addresses
(and the placeholder) into links; nothing the organiser types becomes markup. The subject takes
"{name}" and "{title}" too (it is a plain-text header: the mail layer collapses it to one line and the HTML part
escapes it); a link has no place in a subject line, which notifications and outbox lists show.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from eventkit.errors import DomainError
from eventkit.messages.models import Audience, Schedule, Template

NAME, LINK, TITLE = "{name}", "{link}", "{title}"
#: what becomes a link in the HTML part: the personal link, the guest's name, and http(s) addresses
_TOKENS = re.compile(r"(\{link\}|\{name\}|\{title\}|https?://[^\s<>\"']+)")
_TRAILING = ".,;:!?)]'\""
#: what the organiser could mean as a placeholder: a word in braces ("{nmae}", "{first_name}")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
BODY_PLACEHOLDERS = (NAME, LINK, TITLE)
SUBJECT_PLACEHOLDERS = (NAME, TITLE)


@dataclass(frozen=True)
class Ready:
    """A ready template: the words, audience and schedule the compose form starts from."""

    label: str
    subject: str
    body: str
    audience: Audience
    schedule: Schedule
    hours: int | None = None


READY = {
    Template.DAY_BEFORE: Ready(
        "Day-before reminder", "See you tomorrow: {title}",
        "Hello {name},\n\nA short reminder: we meet tomorrow. The time, the address and your planned "
        "conversations are below, with your check-in QR code attached.\n\nYour page: {link}\n\nSee you soon!",
        Audience.PLACE, Schedule.BEFORE_START, 24),
    Template.THANK_YOU: Ready(
        "Thank-you to those who came", "Thank you for coming to {title}",
        "Hello {name},\n\nThank you for coming. The conversations you had are the start: note who you met "
        "and follow up while it is fresh, on your follow-up page (link below).\n\nYour page: {link}",
        Audience.CHECKED_IN, Schedule.AFTER_END, 12),
    Template.MISSED_YOU: Ready(
        "“We missed you” to no-shows", "We missed you at {title}",
        "Hello {name},\n\nWe missed you at the gathering. We hope all is well, and that we see you next time.\n\n"
        "Your page: {link}",
        Audience.NO_SHOW, Schedule.AFTER_END, 12),
}


def ready(template: str) -> Ready | None:
    """The ready template named `template`; None for a custom message.

    Its subject keeps the {title} placeholder (filled in when the message goes, like {name}): a
    title typed into it would be read back as placeholders ("Hack {night}" made the automatic
    reminder impossible to save), and a renamed gathering's reminder follows the new title."""
    found = READY.get(template) if template in set(READY) else None
    if found is None:
        return None
    return Ready(found.label, found.subject, found.body, found.audience, found.schedule, found.hours)


def unknown_placeholder(text: str, allowed: tuple[str, ...]) -> str | None:
    """The first "{word}" in `text` that is not one of `allowed`, so a typo is refused, never sent as is."""
    for match in _PLACEHOLDER.finditer(text):
        if match.group(0) not in allowed:
            return match.group(0)
    return None


def check_placeholders(subject: str, body: str) -> None:
    """Refuse a placeholder the sender would not fill: the guest would read "{nmae}" as typed."""
    if (found := unknown_placeholder(subject, SUBJECT_PLACEHOLDERS)) == LINK:
        raise DomainError("{link} works only in the message itself: a personal link does not belong in a subject, "
                          "which phones and outbox lists show to anyone looking.", "bad_placeholder")
    if found:
        raise DomainError(f"The subject has an unknown placeholder {found}: only {NAME} (the guest's name) and "
                          f"{TITLE} (the gathering's) are filled in there.", "bad_placeholder")
    if found := unknown_placeholder(body, BODY_PLACEHOLDERS):
        raise DomainError(f"The message has an unknown placeholder {found}: only {NAME} (the guest's name), "
                          f"{TITLE} (the gathering's) and {LINK} (their personal link) are filled in.",
                          "bad_placeholder")


def _fill(text: str, values: dict[str, str]) -> str:
    """`text` with each placeholder of `values` put in, in one pass: a name holding "{link}" stays as typed."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(0), match.group(0)), text)


def personal_subject(subject: str, name: str, title: str) -> str:
    """The subject for one guest (plain text: the mail layer makes it one line, the HTML part escapes it)."""
    return _fill(subject, {NAME: name, TITLE: title})


def listed_subject(subject: str, title: str) -> str:
    """The subject as the organiser's pages list it: the gathering's title put in for {title} (as every
    guest reads it), {name} left as typed (it differs per guest)."""
    return _fill(subject, {TITLE: title})


def personal_text(body: str, name: str, link: str, title: str = "") -> str:
    """The text part: `body` with the guest's name, the gathering's title and the link (placeholder) put in."""
    return _fill(body, {NAME: name, LINK: link, TITLE: title})


def _link(url: str) -> Markup:
    return Markup('<a href="{0}">{0}</a>').format(url)


def personal_html(body: str, name: str, link: str, title: str = "") -> Markup:
    """The HTML part: `body` escaped, line breaks kept, http(s) addresses and the link clickable."""
    parts: list[Markup] = []
    for piece in _TOKENS.split(body.replace("\r\n", "\n")):
        if piece == LINK:
            parts.append(_link(link))
        elif piece == NAME:
            parts.append(escape(name))
        elif piece == TITLE:
            parts.append(escape(title))
        elif _TOKENS.fullmatch(piece):
            url = piece.rstrip(_TRAILING)
            parts.append(_link(url) + escape(piece[len(url):]))
        else:
            parts.append(escape(piece))
    return Markup("<br>\n").join(Markup("").join(parts).split("\n"))
