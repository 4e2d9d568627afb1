"""What a message says: the ready templates' words, and the organiser's plain text made safe for each guest.

The organiser writes plain text. "{name}" becomes the guest's name and "{link}" their personal
link, as a send-time placeholder (`eventkit.mail.links.send_time_link`): the outbox never holds a
working link. The HTML part escapes everything, keeps line breaks and turns http(s) addresses
(and the placeholder) into links; nothing the organiser types becomes markup.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from eventkit.messages.models import Audience, Schedule, Template

NAME, LINK = "{name}", "{link}"
#: what becomes a link in the HTML part: the personal link, the guest's name, and http(s) addresses
_TOKENS = re.compile(r"(\{link\}|\{name\}|https?://[^\s<>\"']+)")
_TRAILING = ".,;:!?)]'\""


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


def ready(template: str, title: str) -> Ready | None:
    """The ready template named `template` with the gathering's title filled in; None for a custom message."""
    found = READY.get(template) if template in set(READY) else None
    if found is None:
        return None
    return Ready(found.label, found.subject.replace("{title}", title), found.body, found.audience, found.schedule,
                 found.hours)


def personal_text(body: str, name: str, link: str) -> str:
    """The text part: `body` with the guest's name and link (placeholder) put in."""
    return body.replace(NAME, name).replace(LINK, link)


def _link(url: str) -> Markup:
    return Markup('<a href="{0}">{0}</a>').format(url)


def personal_html(body: str, name: str, link: str) -> Markup:
    """The HTML part: `body` escaped, line breaks kept, http(s) addresses and the link clickable."""
    parts: list[Markup] = []
    for piece in _TOKENS.split(body.replace("\r\n", "\n")):
        if piece == LINK:
            parts.append(_link(link))
        elif piece == NAME:
            parts.append(escape(name))
        elif _TOKENS.fullmatch(piece):
            url = piece.rstrip(_TRAILING)
            parts.append(_link(url) + escape(piece[len(url):]))
        else:
            parts.append(escape(piece))
    return Markup("<br>\n").join(Markup("").join(parts).split("\n"))
