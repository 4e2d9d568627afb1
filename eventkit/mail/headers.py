"""The headers of each kind of email, decided in one place from `eventkit.mail.kinds.RULES`.

When a message is queued, `queued_fields` fixes what depends on that moment: its kind, where
replies go and its one-click unsubscribe URL. When it is sent, `extra_headers` turns them into
headers:
- `Auto-Submitted: auto-generated` (RFC 3834) and `X-Auto-Response-Suppress` on automatic mail,
  so out-of-office replies do not come back;
- `Reply-To` the organiser (or MAIL_REPLY_TO) on invitations, briefings and announcements;
- `List-Unsubscribe` (RFC 2369: the https URL, plus `mailto:` MAIL_UNSUBSCRIBE_ADDRESS when set)
  and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) on every kind a guest can stop.
`Date` and a stable `Message-ID` are set by `eventkit.mail.delivery.build_message`.
"""
from __future__ import annotations

from datetime import datetime
from email.utils import formataddr
from urllib.parse import quote

from sqlalchemy import select

from eventkit.auth.models import Organiser
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.mail.delivery import one_line
from eventkit.mail.kinds import EmailKind, kind_of, rule_for
from eventkit.mail.unsubscribe import unsubscribe_url

ONE_CLICK = "List-Unsubscribe=One-Click"


def reply_to_for(kind: EmailKind, event_id: int | None, config) -> str:
    """Where replies to this kind go: MAIL_REPLY_TO if set, else the gathering's owner; "" for none."""
    if not rule_for(kind).reply_to_organiser:
        return ""
    if config.get("MAIL_REPLY_TO"):
        return one_line(config["MAIL_REPLY_TO"])
    if event_id is None:
        return ""
    row = db.session.execute(select(Organiser.name, Organiser.email).join(Event, Event.owner_id == Organiser.id)
                             .where(Event.id == event_id)).first()
    return one_line(formataddr((row.name, row.email))) if row else ""


def queued_fields(kind: str | None, event_id: int | None, recipient_id: int | None, now: datetime, config,
                  serializer=None, reply_to: str | None = None) -> dict:
    """The outbox columns that decide a message's headers (`kind`, `reply_to`, `unsubscribe_url`).

    A kind a guest can stop needs `recipient_id` (their guest row): ValueError otherwise.
    `reply_to` skips the lookup when the caller already knows it (many messages of one gathering).
    """
    kind = kind_of(kind)
    topic = rule_for(kind).topic
    if topic is not None and recipient_id is None:
        raise ValueError(f"{kind} email can be stopped by its recipient: queue it with their guest id")
    return {
        "kind": kind.value,
        "reply_to": reply_to_for(kind, event_id, config) if reply_to is None else reply_to,
        "unsubscribe_url": unsubscribe_url(recipient_id, topic, now, serializer) if topic else "",
    }


def list_unsubscribe(url: str, config) -> str:
    """`<https://…>`, then `<mailto:…>` when MAIL_UNSUBSCRIBE_ADDRESS is set (its subject carries the token)."""
    targets = [f"<{url}>"]
    address = one_line(config.get("MAIL_UNSUBSCRIBE_ADDRESS", ""))
    if address:
        token = url.rstrip("/").rsplit("/", 1)[-1]
        targets.append(f"<mailto:{address}?subject={quote('unsubscribe ' + token)}>")
    return ", ".join(targets)


def extra_headers(kind: str | None, reply_to: str, unsubscribe: str, config) -> list[tuple[str, str]]:
    """The headers a message of `kind` carries besides From/To/Subject/Date/Message-ID."""
    rule = rule_for(kind)
    headers = []
    if rule.automatic:
        headers += [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "OOF, AutoReply")]
    if reply_to:
        headers.append(("Reply-To", reply_to))
    if rule.topic is not None and unsubscribe:
        headers += [("List-Unsubscribe", list_unsubscribe(unsubscribe, config)), ("List-Unsubscribe-Post", ONE_CLICK)]
    return headers
