"""Links made when an email is sent: stored bodies hold a placeholder, never a working secret link.

A template (or the code building its context) asks for "this guest's link for purpose P" with
`send_time_link(purpose, attendee_id, target)` (also a Jinja global). That returns a placeholder
such as ``eventkit-link:personal.12.0.3f9c…`` which is what the outbox row stores. Just before
the sender delivers a message it finds the placeholders in the text and HTML bodies, asks the
maker registered for each purpose (`register_link_maker`, like attachment producers) once per
batch for all its links, and puts the working URLs into the message it hands over; the row keeps
the placeholder (`eventkit.mail.delivery.fill_links`). The organiser's outbox shows each placeholder redacted (`redact`).

A placeholder is signed with the app's key (so text a guest wrote cannot ask for a link), and a
maker only makes links for the recipient of the message itself (so a placeholder copied into
another person's email gives them nothing).

The mail feature never imports the features that make links.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

from eventkit.mail.blueprint import bp
from eventkit.mail.delivery import DeliveryError, PermanentFailure, TemporaryFailure
from eventkit.mail.models import OutboundEmail

log = logging.getLogger(__name__)

EXTENSION_KEY = "eventkit.mail.link_makers"
PLACEHOLDER = re.compile(r"eventkit-link:([a-z][a-z0-9_-]{0,39})\.(\d{1,18})\.(\d{1,18})\.([0-9a-f]{20})")
#: what the organiser's outbox shows instead of a link made at send time
REDACTED = "[{purpose} link for the guest, made when the email is sent]"


@dataclass(frozen=True)
class LinkRequest:
    """One link a message needs: `purpose` for guest `attendee_id` (and a task or encounter `target`)."""

    purpose: str
    attendee_id: int
    target: int | None
    #: the message's recipient: a maker refuses links for anyone else
    to_email: str


#: makes one URL (or None: cannot be made, the message fails) per request, in order, at `now`;
#: it may add rows to the session, the sender commits them
LinkMaker = Callable[[list[LinkRequest], datetime], list[str | None]]


def register_link_maker(app: Flask, purpose: str, maker: LinkMaker) -> None:
    """Let `app`'s sender fill placeholders of `purpose`."""
    app.extensions.setdefault(EXTENSION_KEY, {})[purpose] = maker


def _signature(purpose: str, attendee_id: int, target: int, key: bytes | None = None) -> str:
    key = key or current_app.config["SECRET_KEY"].encode("utf-8")
    message = f"eventkit.mail.link:{purpose}.{attendee_id}.{target}".encode("utf-8")
    return hmac.digest(key, message, hashlib.sha256).hex()[:20]


@bp.app_template_global()
def send_time_link(purpose: str, attendee_id: int, target: int | None = None) -> str:
    """A placeholder for guest `attendee_id`'s link for `purpose`, filled in when the email is sent."""
    number = 0 if target is None else int(target)
    return f"eventkit-link:{purpose}.{int(attendee_id)}.{number}.{_signature(purpose, attendee_id, number)}"


def send_time_links(purpose: str, attendee_ids: list[int]) -> list[str]:
    """`send_time_link(purpose, id)` for many guests (an import's invitations): the key read once."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return [f"eventkit-link:{purpose}.{int(i)}.0.{_signature(purpose, int(i), 0, key)}" for i in attendee_ids]


def _requests(text: str, to_email: str) -> dict[str, LinkRequest]:
    """The validly signed placeholders in `text`, each with its request."""
    found = {}
    for match in PLACEHOLDER.finditer(text or ""):
        purpose, attendee_id, target, signature = match.groups()
        if hmac.compare_digest(signature, _signature(purpose, int(attendee_id), int(target))):
            found[match.group(0)] = LinkRequest(purpose, int(attendee_id), int(target) or None, to_email)
    return found


def redact(text: str) -> str:
    """`text` with every link placeholder replaced by a note saying a link goes there."""
    return PLACEHOLDER.sub(lambda match: REDACTED.format(purpose=match.group(1)), text or "")


def make_links(emails: list[OutboundEmail], now: datetime) -> tuple[dict[int, dict[str, str]], dict[int, DeliveryError]]:
    """The URLs for every placeholder of the claimed messages, and the messages that cannot go, with why.

    One call per maker for the whole batch. Call it outside a transaction; commit afterwards.
    """
    wanted: dict[int, dict[str, LinkRequest]] = {}
    by_purpose: dict[str, list[tuple[int, str, LinkRequest]]] = defaultdict(list)
    for email in emails:
        wanted[email.id] = _requests(email.body_text, email.to_email) | _requests(email.body_html, email.to_email)
        for placeholder, request in wanted[email.id].items():
            by_purpose[request.purpose].append((email.id, placeholder, request))
    urls: dict[int, dict[str, str]] = {email.id: {} for email in emails}
    failures: dict[int, DeliveryError] = {}
    for purpose, items in by_purpose.items():
        made = _make(purpose, [request for _, _, request in items], now)
        for (email_id, placeholder, _request), result in zip(items, made):
            if isinstance(result, str):
                urls[email_id][placeholder] = result
            else:
                failures.setdefault(email_id, result)
    return urls, failures


def _make(purpose: str, requests: list[LinkRequest], now: datetime) -> list[str | DeliveryError]:
    """One maker call; never raises."""
    maker = current_app.extensions.get(EXTENSION_KEY, {}).get(purpose)
    if maker is None:
        return [TemporaryFailure(f"This email needs a {purpose!r} link, which this installation cannot make; "
                                 "it will be tried again.")] * len(requests)
    try:
        made = list(maker(requests, now))
    except Exception as error:  # noqa: BLE001 - a maker's bug must not stop the send run
        log.exception("outbox: link maker %r failed", purpose)
        return [TemporaryFailure(f"The {purpose} link could not be made ({type(error).__name__}).")] * len(requests)
    if len(made) != len(requests):
        return [TemporaryFailure(f"The {purpose} link could not be made.")] * len(requests)
    refused = PermanentFailure(f"Not sent: the {purpose} link could not be made, as the guest is no longer on "
                               "the list or the email is not theirs.")
    return [url if isinstance(url, str) else refused for url in made]
