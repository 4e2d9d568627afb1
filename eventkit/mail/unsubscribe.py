"""One-click unsubscribe links (RFC 8058): a signed token bound to one guest and one topic.

The token is made when the message is queued and stored in its body and headers. It gives no
session and can do one thing only: stop that topic's emails for that guest, so it may sit in the
outbox and in the guest's mailbox (unlike the personal link). It is signed with the app's key
under its own salt, so no other signed value of eventkit (follow-up links, sessions) passes for it.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import message_from_bytes, policy

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from eventkit.db import utcnow
from eventkit.errors import DomainError
from eventkit.mail.kinds import Topic
from eventkit.urls import external_url_for

SALT = "eventkit.mail.unsubscribe"
#: a link keeps working this long after its email was queued (seconds)
MAX_AGE = 400 * 86400


class _Serializer(URLSafeTimedSerializer):
    """A serializer whose clock is a parameter, so the sweep signs once per run and tests move time."""

    def __init__(self, key: str, now: datetime):
        super().__init__(key, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})
        self.stamp = int(now.timestamp())

    def make_signer(self, salt=None):
        signer = super().make_signer(salt)
        signer.get_timestamp = lambda: self.stamp
        return signer


def serializer_at(now: datetime) -> URLSafeTimedSerializer:
    return _Serializer(current_app.config["SECRET_KEY"], now)


def make_token(attendee_id: int, topic: Topic, now: datetime | None = None,
               serializer: URLSafeTimedSerializer | None = None) -> str:
    """A token that unsubscribes guest `attendee_id` from `topic`, and does nothing else."""
    serializer = serializer or serializer_at(now or utcnow())
    return serializer.dumps([attendee_id, Topic(topic).value])


def read_token(token: str, now: datetime | None = None) -> tuple[int, Topic]:
    """The guest id and topic of a valid token; DomainError 410 if expired, 400 if not ours."""
    serializer = serializer_at(now or utcnow())
    try:
        attendee_id, topic = serializer.loads(token, max_age=MAX_AGE)
        return int(attendee_id), Topic(topic)
    except SignatureExpired as exc:
        raise DomainError("This unsubscribe link has expired. Choose which emails you get from your personal page, "
                          "or ask for a new link on the gathering's page.", "unsubscribe_expired", 410) from exc
    except (BadSignature, TypeError, ValueError) as exc:
        raise DomainError("This unsubscribe link is not valid. Use the link in your newest email.",
                          "unsubscribe_invalid", 400) from exc


def unsubscribe_url(attendee_id: int, topic: Topic, now: datetime | None = None,
                    serializer: URLSafeTimedSerializer | None = None) -> str:
    """The https URL of `List-Unsubscribe` and of the email's own "stop these emails" link."""
    return external_url_for("mail.one_click", token=make_token(attendee_id, topic, now, serializer))


#: the subject a mail client writes for the `mailto:` of List-Unsubscribe ("unsubscribe <token>")
MAILTO_SUBJECT = re.compile(r"unsubscribe\s+([A-Za-z0-9_.\-]+)", re.IGNORECASE)


def token_from_message(raw: bytes) -> str:
    """The token in the Subject of an email sent to MAIL_UNSUBSCRIBE_ADDRESS; DomainError if there is none."""
    subject = str(message_from_bytes(raw, policy=policy.default).get("Subject", ""))
    match = MAILTO_SUBJECT.search(subject)
    if match is None:
        raise DomainError("This email holds no unsubscribe token in its subject.", "unsubscribe_invalid", 400)
    return match.group(1)
