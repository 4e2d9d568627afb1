"""Composing, previewing, scheduling, editing, cancelling and sending messages.

Every check runs before anything changes (DomainError with a message for the organiser). A
message's emails go through the outbox (`queue_batch`), one per guest, deduplicated per message
("message:<id>:<guest>"), labelled "message_<id>" so its delivery can be counted. Guests who
stopped announcements are skipped by the outbox's own rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.db import db, locked
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.mail.kinds import Topic
from eventkit.mail.limits import check_sender
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.mail.preferences import opted_out
from eventkit.mail.services import Rendered, render_batch, store_batch
from eventkit.messages import audiences, emails
from eventkit.messages.audiences import Phase
from eventkit.messages.content import check_placeholders, personal_subject, personal_text
from eventkit.messages.models import Audience, Message, MessageSettings, MessageStatus, Schedule, Template

SUBJECT_MAX, BODY_MAX, HOURS_MAX = 200, 10_000, 24 * 60
#: how many recipients the preview names
PREVIEW_NAMES = 5
PURPOSE = "message"
#: where the preview shows a guest's personal link
SAMPLE_LINK = "[their personal link, made when the email is sent]"


@dataclass
class Draft:
    """What the organiser typed; `at` is a wall-clock time in the gathering's zone (naive) for Schedule.AT."""

    subject: str
    body: str
    audience: str = Audience.PLACE
    template: str = Template.CUSTOM
    picked_ids: list[int] = field(default_factory=list)
    schedule: str = Schedule.NOW
    hours: int | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Preview:
    send_at: datetime
    #: guests the audience holds when the message goes (as things stand now)
    total: int
    #: of those, guests who stopped announcements (they get nothing)
    opted_out: int
    first: list[Attendee]
    #: every address it will go to (for the sending account's limits)
    addresses: list[str] = field(default_factory=list)
    #: the gathering's title, for {title}
    title: str = ""

    def sample_subject(self, subject: str) -> str:
        """The subject the first recipient reads."""
        return personal_subject(subject.strip(), self.first[0].name if self.first else "Guest", self.title)

    def sample(self, body: str) -> str:
        """The text the first recipient reads, with a note where their personal link goes."""
        name = self.first[0].name if self.first else "Guest"
        return personal_text(body.replace("\r\n", "\n"), name, SAMPLE_LINK, self.title)

    @property
    def count(self) -> int:
        """How many emails it will queue."""
        return self.total - self.opted_out


def get_message(event: Event, message_id: int, for_update: bool = False) -> Message:
    """One message of this gathering; NotFound for another gathering's or a missing one."""
    query = select(Message).where(Message.id == message_id, Message.event_id == event.id)
    message = db.session.scalars(locked(query) if for_update else query).first()
    if message is None:
        raise NotFound("This message is not one of this gathering's.", "not_found")
    return message


def event_messages(event: Event) -> list[Message]:
    """The gathering's messages: scheduled first (soonest first), then the others, newest first."""
    rows = db.session.scalars(select(Message).where(Message.event_id == event.id)
                              .order_by(Message.send_at.desc(), Message.id.desc()))
    rows = list(rows)
    scheduled = sorted((m for m in rows if m.is_editable), key=lambda m: (m.send_at, m.id))
    return scheduled + [m for m in rows if not m.is_editable]


def _send_time(event: Event, draft: Draft, now: datetime) -> datetime:
    schedule = _choice(Schedule, draft.schedule, "Choose when it goes.")
    if schedule == Schedule.NOW:
        return now
    if schedule == Schedule.AT:
        if draft.at is None:
            raise DomainError("Give the date and time it goes.", "no_time")
        when = (draft.at if draft.at.tzinfo else draft.at.replace(tzinfo=event.zone)).astimezone(now.tzinfo)
    else:
        if draft.hours is None or not 0 <= draft.hours <= HOURS_MAX:
            raise DomainError(f"Give a number of hours from 0 to {HOURS_MAX}.", "bad_hours")
        probe = Message(schedule=schedule, hours=draft.hours)
        when = probe.time_for(event, now)
    if when <= now:
        raise DomainError(f"That time has passed ({event.local(when):%a %d %b %Y, %H:%M} {event.timezone}): "
                          "choose a later one, or send it now.", "time_passed")
    return when


def _choice(enum, value: str, message: str):
    try:
        return enum(value)
    except ValueError:
        raise DomainError(message, "bad_choice") from None


def check(event: Event, draft: Draft, now: datetime) -> datetime:
    """When the draft would go; DomainError for anything it cannot be."""
    if not draft.subject.strip() or len(draft.subject) > SUBJECT_MAX:
        raise DomainError(f"Give a subject of at most {SUBJECT_MAX} characters.", "bad_subject")
    if not draft.body.strip() or len(draft.body) > BODY_MAX:
        raise DomainError(f"Write the message (at most {BODY_MAX} characters).", "bad_body")
    check_placeholders(draft.subject, draft.body)
    _choice(Template, draft.template, "Choose a template.")
    audience = _choice(Audience, draft.audience, "Choose who gets it.")
    send_at = _send_time(event, draft, now)
    if audience not in audiences.offered(event, send_at):
        raise DomainError("No-shows are known only once the gathering has started: schedule it for after the "
                          "start, or choose another audience.", "too_early")
    if audience == Audience.PICKED:
        _check_picked(event, draft.picked_ids)
    return send_at


def _check_picked(event: Event, picked: list[int]) -> None:
    if not picked:
        raise DomainError("Pick at least one guest.", "none_picked")
    ids = {int(i) for i in picked}
    found = db.session.scalar(select(func.count()).select_from(Attendee)
                              .where(Attendee.event_id == event.id, Attendee.id.in_(sorted(ids))))
    if found != len(ids):
        raise DomainError("Some of the guests picked are not on this guest list (any more).", "bad_pick")


def preview(event: Event, draft: Draft, now: datetime) -> Preview:
    """The exact audience of the draft as things stand, and when it goes; DomainError if it cannot go."""
    send_at = check(event, draft, now)
    guests = audiences.recipients(event, draft.audience, draft.picked_ids, max(send_at, now))
    stopped = set(opted_out([g.id for g in guests], Topic.ANNOUNCEMENTS)) if guests else set()
    going = [g for g in guests if g.id not in stopped]
    return Preview(send_at, len(guests), len(stopped), going[:PREVIEW_NAMES], [g.email for g in going], event.title)


def _apply(message: Message, draft: Draft, send_at: datetime, now: datetime) -> None:
    message.subject = draft.subject.strip()
    message.body = draft.body.replace("\r\n", "\n").strip()
    message.template = Template(draft.template)
    message.audience = Audience(draft.audience)
    message.picked_ids = sorted({int(i) for i in draft.picked_ids}) if draft.audience == Audience.PICKED else []
    message.schedule = Schedule(draft.schedule)
    message.hours = draft.hours if message.schedule in (Schedule.BEFORE_START, Schedule.AFTER_END) else None
    message.send_at = send_at
    message.updated_at = now


def _check_count(event: Event, draft: Draft, now: datetime, expected: int | None) -> Preview:
    """The preview, refusing to send now if its count is not what the organiser saw."""
    seen = preview(event, draft, now)
    if draft.schedule == Schedule.NOW and expected is not None and expected != seen.count:
        raise DomainError(f"The audience changed since the preview: it is now {seen.count} "
                          f"guest{'s' if seen.count != 1 else ''}. Check the preview again.", "audience_changed", 409)
    if draft.schedule == Schedule.NOW and seen.count == 0:
        raise DomainError("Nobody would get this message: choose another audience.", "empty")
    check_sender(event.id, seen.addresses, now)
    return seen


def create(event: Event, draft: Draft, actor: str, now: datetime, expected: int | None = None) -> Message:
    """Save the draft as a message; sent at once for Schedule.NOW (its emails queued)."""
    seen = _check_count(event, draft, now, expected)
    message = Message(event_id=event.id, created_by=actor, created_at=now, picked_ids=[])
    _apply(message, draft, seen.send_at, now)
    db.session.add(message)
    db.session.flush()
    audit.record("messages.created", actor=actor, target=f"message:{message.id}", event_id=event.id,
                 audience=message.audience, schedule=message.schedule, send_at=message.send_at.isoformat())
    if message.schedule == Schedule.NOW:
        _claim_now(message, actor, now)
    return message


def update(event: Event, message_id: int, draft: Draft, actor: str, now: datetime,
           expected: int | None = None) -> Message:
    """Change a scheduled message (sent at once if now set to Schedule.NOW); 409 once it went or was cancelled."""
    message = _editable(event, message_id)
    seen = _check_count(event, draft, now, expected)
    _apply(message, draft, seen.send_at, now)
    audit.record("messages.updated", actor=actor, target=f"message:{message.id}", event_id=event.id,
                 audience=message.audience, schedule=message.schedule, send_at=message.send_at.isoformat())
    if message.schedule == Schedule.NOW:
        _claim_now(message, actor, now)
    return message


def cancel(event: Event, message_id: int, actor: str, now: datetime) -> Message:
    """Cancel a scheduled message; 409 once it went."""
    message = _editable(event, message_id)
    message.status = MessageStatus.CANCELLED
    message.updated_at = now
    if message.automatic == AUTO_DAY_BEFORE:  # cancelling the automatic reminder is the switch turned off
        _settings(event, now).day_before_reminder = False
    audit.record("messages.cancelled", actor=actor, target=f"message:{message.id}", event_id=event.id)
    return message


def _editable(event: Event, message_id: int) -> Message:
    """The message, locked against the sweep; DomainError (409) unless still scheduled."""
    message = get_message(event, message_id, for_update=True)
    if not message.is_editable:
        raise DomainError(f"This message was {message.status} already: it can no longer be changed.",
                          "not_scheduled", 409)
    return message


def _claim_now(message: Message, actor: str, now: datetime) -> None:
    message.status = MessageStatus.SENT
    message.sent_at = now
    message.sent_by = actor[:64]
    db.session.flush()
    deliver(message, now)


def deliver(message: Message, now: datetime) -> int:
    """Queue the emails of a message its sender has claimed (status SENT); how many were queued."""
    return record_delivery(message, render_delivery(message, now))


def render_delivery(message: Message, now: datetime) -> Rendered:
    """The emails of `message` to its audience as it is at `now`, rendered; reads only (the sweep
    calls it in a read-only transaction, before it claims the message)."""
    event = message.event
    guests = audiences.recipients(event, message.audience, message.picked_ids, now)
    return render_batch(emails.for_guests(message, event, guests), now)


def record_delivery(message: Message, rendered: Rendered) -> int:
    """Put a claimed message's rendered emails in the outbox and say so on it; how many were queued."""
    result = store_batch(rendered)
    message.queued = result.queued
    audit.record("messages.sent", actor=message.sent_by or "system", target=f"message:{message.id}",
                 event_id=message.event_id, queued=result.queued, invalid=len(result.invalid))
    return result.queued


def delivery_counts(event: Event) -> dict[int, dict[str, int]]:
    """Per message of the gathering, its emails in each outbox status (one query)."""
    rows = db.session.execute(
        select(OutboundEmail.label, OutboundEmail.status, func.count())
        .where(OutboundEmail.event_id == event.id, OutboundEmail.purpose == PURPOSE)
        .group_by(OutboundEmail.label, OutboundEmail.status))
    counts: dict[int, dict[str, int]] = {}
    for label, status, count in rows:
        if label.startswith(f"{PURPOSE}_") and label[len(PURPOSE) + 1:].isdigit():
            per = counts.setdefault(int(label[len(PURPOSE) + 1:]), {s.value: 0 for s in MailStatus})
            per[status] = count
    return counts


def day_before_on(event: Event) -> bool:
    settings = db.session.get(MessageSettings, event.id)
    return settings is None or settings.day_before_reminder


def _settings(event: Event, now: datetime) -> MessageSettings:
    """The gathering's settings row (added if it has none yet), marked as changed at `now`."""
    settings = db.session.get(MessageSettings, event.id)
    if settings is None:
        settings = MessageSettings(event_id=event.id, day_before_reminder=True)
        db.session.add(settings)
    settings.updated_at = now
    return settings


def set_day_before(event: Event, on: bool, actor: str, now: datetime) -> None:
    """The gathering's one switch: the automatic day-before reminder, on or off.

    Off cancels the reminder if it is scheduled; on brings a cancelled one back while the gathering is ahead.
    """
    _settings(event, now).day_before_reminder = on
    auto = db.session.scalars(locked(select(Message).where(Message.event_id == event.id,
                                                           Message.automatic == AUTO_DAY_BEFORE))).first()
    if auto is not None and not on and auto.status == MessageStatus.SCHEDULED:
        auto.status = MessageStatus.CANCELLED
    elif auto is not None and on and auto.status == MessageStatus.CANCELLED and event.starts_at > now:
        auto.status = MessageStatus.SCHEDULED
        auto.send_at = auto.time_for(event, now)
    audit.record("messages.day_before", actor=actor, event_id=event.id, on=on)


AUTO_DAY_BEFORE = "day_before"
AUTO_HOURS = 24


def automatic_day_before(event: Event, now: datetime) -> dict:
    """The column values of a gathering's automatic day-before reminder."""
    words = emails.ready_words(Template.DAY_BEFORE)
    return {"event_id": event.id, "subject": words.subject, "body": words.body, "template": Template.DAY_BEFORE,
            "audience": Audience.PLACE, "picked_ids": [], "schedule": Schedule.BEFORE_START, "hours": AUTO_HOURS,
            "send_at": event.starts_at - timedelta(hours=AUTO_HOURS), "status": MessageStatus.SCHEDULED,
            "automatic": AUTO_DAY_BEFORE, "created_by": "system", "created_at": now, "updated_at": now,
            "queued": 0, "sent_by": ""}


def phase(event: Event, now: datetime) -> str:
    return Phase.of(event, now).name
