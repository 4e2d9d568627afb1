"""The emails of one message: one per guest, with their name, their personal link (made when sent) and,
for the ready templates, what each adds (the day-before reminder's time, address, plan and QR code;
the thank-you's follow-up page).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.invitations import CHECKIN_QR
from eventkit.attendees.links import PERSONAL
from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.mail.kinds import EmailKind
from eventkit.mail.links import send_time_link
from eventkit.mail.services import Attachment
from eventkit.mail.services import Message as Email
from eventkit.matching.models import Conversation, Plan
from eventkit.messages.content import Ready, personal_html, personal_subject, personal_text, ready
from eventkit.messages.models import Audience, Message, Schedule, Template
from eventkit.urls import external_url_for

#: the outbox template pair (templates/mail/announcement.txt and .html)
MAIL_TEMPLATE = "announcement"


def ready_words(template: str) -> Ready:
    """The ready template's words ({title} and {name} filled in when sent; the custom message starts empty)."""
    return ready(template) or Ready("Your own message", "", "", Audience.PLACE, Schedule.NOW)


def plans(event: Event, guest_ids: set[int]) -> dict[int, list[str]]:
    """Each guest's planned conversations in words ("Round 1, table 2: with Ada Lovelace"); two queries.

    Only once the plan is locked, as on the guest's own page (`matching.services.conversations_of`).
    """
    conversations = db.session.scalars(
        select(Conversation).join(Plan, Plan.id == Conversation.plan_id)
        .where(Conversation.event_id == event.id, Plan.locked_at.is_not(None))
        .options(selectinload(Conversation.a), selectinload(Conversation.b), selectinload(Conversation.c))
        .order_by(Conversation.round, Conversation.table_no))
    lines: dict[int, list[str]] = {}
    for conversation in conversations:
        for guest_id in conversation.member_ids:
            if guest_id in guest_ids:
                names = " and ".join(p.name for p in conversation.partners_of(guest_id))
                lines.setdefault(guest_id, []).append(
                    f"Round {conversation.round}, table {conversation.table_no}: with {names}")
    return lines


def for_guests(message: Message, event: Event, guests: list[Attendee]) -> list[Email]:
    """One outbox message per guest, deduplicated per message."""
    day_before = message.template == Template.DAY_BEFORE
    plan = plans(event, {g.id for g in guests}) if day_before else {}
    shared = {"event": event, "ready_template": message.template,
              "followup_url": external_url_for("followup.connections", slug=event.slug)}
    kind = EmailKind.DAY_BEFORE if day_before else EmailKind.ANNOUNCEMENT
    return [Email(
        to_email=guest.email, to_name=guest.name, dedupe_key=f"{message.dedupe_prefix}{guest.id}",
        template=MAIL_TEMPLATE, purpose="message", label=f"message_{message.id}", event_id=event.id,
        context={**shared, **_personal(message, event.title, guest), "plan": plan.get(guest.id, [])},
        attachments=(_qr(guest),) if day_before else (), kind=kind, recipient_id=guest.id,
    ) for guest in guests]


def _personal(message: Message, title: str, guest: Attendee) -> dict:
    link = send_time_link(PERSONAL, guest.id)
    return {"message_subject": personal_subject(message.subject, guest.name, title),
            "text": personal_text(message.body, guest.name, link, title),
            "html": personal_html(message.body, guest.name, link, title)}


def _qr(guest: Attendee) -> Attachment:
    """The guest's check-in QR code, drawn when the email is sent."""
    return Attachment.made_when_sent("check-in-qr.png", "image/png", CHECKIN_QR, attendee_id=guest.id)
