"""Importing many guests at once (the CSV confirm), fast and all or nothing.

`plan_import` does the slow part (every invitation rendered) in a read-only
transaction (`eventkit.db.reading`); `write_import` then writes everything with a fixed number of
set-based statements whatever the number of guests, so the write transaction (on SQLite: the
write lock the door's check-ins also need) lasts milliseconds. The check-in QR code of each
invitation is made when the email is sent (attachment producer "checkin_qr"): drawing 2,000 QR
codes would take longer than everything else. Like every invitation, each carries a placeholder
for the guest's personal link, made when the email is sent (`eventkit.mail.links`); the guest's id
it needs is known only once the row is written, so the bodies are rendered with `ID_MARK` and the
write puts each guest's placeholder in its place (a string replace per email).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select

from eventkit.attendees.invitations import CHECKIN_QR
from eventkit.attendees.links import PERSONAL, days_after
from eventkit.attendees.models import Attendee, AttendeeStatus, Person
from eventkit.attendees.services import GuestData, lock_event, places_taken
from eventkit.audit import AuditEntry
from eventkit.db import db, insert_ignore_many
from eventkit.errors import DomainError
from eventkit.events.calendar import event_ics, ics_filename
from eventkit.events.models import Event, EventStatus
from eventkit.mail.links import send_time_link
from eventkit.mail.models import OutboundAttachment, OutboundEmail
from eventkit.mail.services import Draft, render_rows

#: stands for the guest's personal-link placeholder in the bodies `plan_import` renders
ID_MARK = "eventkit-import-link-for-this-guest"
CHANGED = ("The guest list changed while this import was being written (someone added a guest or a "
           "place was taken). Nothing was imported: confirm the import again.")


@dataclass
class ImportPlan:
    event_id: int
    #: places taken when the plan was made (the statuses below depend on it)
    taken: int
    guests: list[dict]
    #: the invitation's outbox row of each guest, in the same order (dedupe key still to add)
    emails: list[dict]
    ics_name: str
    ics: bytes


def plan_import(event: Event, rows: list[GuestData], now: datetime) -> ImportPlan:
    """Statuses (invited while places last, then waitlisted) and rendered invitations.

    Reads only: call it inside `reading()`. DomainError if the gathering is finished or an address
    cannot be mailed.
    """
    if event.status == EventStatus.FINISHED:
        raise DomainError("This gathering is finished; guests can no longer be added.", "finished", 409)
    taken = places_taken(event.id)
    guests, drafts = [], []
    for index, data in enumerate(rows):
        waitlisted = taken + index >= event.capacity
        status = AttendeeStatus.WAITLISTED if waitlisted else AttendeeStatus.INVITED
        values = Attendee.new_row(event_id=event.id, name=data.name, email=data.email, status=status, now=now,
                                         organisation=data.organisation, role=data.role, field=data.field)
        guests.append(values)
        drafts.append(Draft(data.email, data.name, dedupe_key="", context={
            "link": ID_MARK, "waitlisted": waitlisted}))
    emails = render_rows(drafts, template="invitation", purpose="invitation", event_id=event.id, now=now,
                         event=event, attendee=None, renewed=False, requested=False, confirmed=False,
                         link_days=days_after())
    return ImportPlan(event.id, taken, guests, emails, ics_filename(event), event_ics(event))


def write_import(plan: ImportPlan, *, actor: str, now: datetime) -> int:
    """Write the planned guests, their people, audit entries, invitations and attachments; how many.

    Twelve statements for any number of guests. DomainError, writing nothing, if the list changed
    since the plan (a guest added meanwhile, a place taken): the caller's transaction rolls back.
    """
    if not plan.guests:
        return 0
    emails = [guest["email"] for guest in plan.guests]
    people_rows = [{"email": email, "created_at": now} for email in emails]
    event = lock_event(plan.event_id)  # the write transaction (SQLite's write lock) starts here
    if event.status == EventStatus.FINISHED or places_taken(event.id) != plan.taken or _already_listed(event.id, emails):
        raise DomainError(CHANGED, "changed", 409)
    # Core inserts on the tables: one executemany each, without the ORM's bulk bookkeeping per row
    insert_ignore_many(Person.__table__, people_rows, ["email"])
    people = dict(db.session.execute(select(Person.email, Person.id).where(Person.email.in_(emails))).all())
    db.session.execute(insert(Attendee.__table__), [{**guest, "person_id": people[guest["email"]]} for guest in plan.guests])
    ids = dict(db.session.execute(
        select(Attendee.email, Attendee.id).where(Attendee.event_id == event.id, Attendee.email.in_(emails))).all())
    db.session.execute(insert(AuditEntry.__table__), [
        {"at": now, "event_id": event.id, "actor": actor, "action": "attendee.added",
         "target": f"attendee:{ids[guest['email']]}", "details": {"status": guest["status"], "via": "import"}}
        for guest in plan.guests])
    keys = [f"invitation:{ids[guest['email']]}:{guest['session_version']}:{guest['link_requested_at'].isoformat()}"
            for guest in plan.guests]
    rows = [_with_link(row, ids[guest["email"]]) | {"dedupe_key": key}
            for row, guest, key in zip(plan.emails, plan.guests, keys)]
    insert_ignore_many(OutboundEmail.__table__, rows, ["dedupe_key"])
    email_ids = dict(db.session.execute(
        select(OutboundEmail.dedupe_key, OutboundEmail.id).where(OutboundEmail.dedupe_key.in_(keys))).all())
    calendars, codes = _attachments([(email_ids[key], ids[guest["email"]]) for key, guest in zip(keys, plan.guests)], plan)
    db.session.execute(insert(OutboundAttachment.__table__), calendars)
    db.session.execute(insert(OutboundAttachment.__table__), codes)
    return len(plan.guests)


def _with_link(row: dict, attendee_id: int) -> dict:
    """The rendered invitation with guest `attendee_id`'s send-time link placeholder in it."""
    link = send_time_link(PERSONAL, attendee_id)
    return {**row, "body_text": row["body_text"].replace(ID_MARK, link),
            "body_html": row["body_html"].replace(ID_MARK, link)}


def _already_listed(event_id: int, emails: list[str]) -> bool:
    return bool(db.session.scalar(
        select(func.count(Attendee.id)).where(Attendee.event_id == event_id, Attendee.email.in_(emails))))


def _attachments(pairs: list[tuple[int, int]], plan: ImportPlan) -> tuple[list[dict], list[dict]]:
    """For each (email id, attendee id): the calendar file (bytes), and the QR code (made when sent)."""
    calendars = [{"email_id": email_id, "filename": plan.ics_name, "mimetype": "text/calendar", "content": plan.ics}
                 for email_id, _ in pairs]
    codes = [{"email_id": email_id, "filename": "check-in-qr.png", "mimetype": "image/png", "producer": CHECKIN_QR,
              "producer_args": {"attendee_id": attendee_id}} for email_id, attendee_id in pairs]
    return calendars, codes
