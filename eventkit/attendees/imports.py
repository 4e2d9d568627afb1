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

from sqlalchemy import func, select

from eventkit.attendees.invitations import CHECKIN_QR
from eventkit.attendees.links import PERSONAL, days_after
from eventkit.attendees.models import Attendee, AttendeeStatus, Person
from eventkit.attendees.services import GuestData, lock_event, places_taken
from eventkit.audit import AuditEntry
from eventkit.db import bind_processor, db, executemany_raw, raw_rows
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
    Every row is made before the write transaction starts (`_prepare`); inside it (on SQLite: holding
    the write lock the door's check-ins also need) run only the checks, the inserts and the id
    lookups, and what needs the new ids: a tuple, a key and a link per row, joined from prepared parts.
    """
    if not plan.guests:
        return 0
    rows = _prepare(plan, actor=actor, now=now)
    event = lock_event(plan.event_id)  # the write transaction (SQLite's write lock) starts here
    emails = rows.emails
    if event.status == EventStatus.FINISHED or places_taken(event.id) != plan.taken or _already_listed(event.id, emails):
        raise DomainError(CHANGED, "changed", 409)
    executemany_raw(Person.__table__, *rows.people, conflict_columns=["email"])
    people = dict(db.session.execute(select(Person.email, Person.id).where(Person.email.in_(emails))).all())
    columns, values = rows.attendees
    executemany_raw(Attendee.__table__, columns, [(people[email], *row) for email, row in zip(emails, values)])
    found = dict(db.session.execute(
        select(Attendee.email, Attendee.id).where(Attendee.event_id == event.id, Attendee.email.in_(emails))).all())
    ids = [found[email] for email in emails]
    columns, values = rows.audit
    executemany_raw(AuditEntry.__table__, columns, [(f"attendee:{i}", *row) for i, row in zip(ids, values)])
    keys = [f"invitation:{i}{suffix}" for i, suffix in zip(ids, rows.key_suffixes)]
    executemany_raw(OutboundEmail.__table__, rows.outbox[0], [
        (key, *_linked(i, text, html), *row)
        for key, i, text, html, row in zip(keys, ids, rows.texts, rows.htmls, rows.outbox[1])],
        conflict_columns=["dedupe_key"])
    email_ids = dict(db.session.execute(
        select(OutboundEmail.dedupe_key, OutboundEmail.id).where(OutboundEmail.dedupe_key.in_(keys))).all())
    email_ids = [email_ids[key] for key in keys]
    columns, (calendar,) = rows.calendar
    executemany_raw(OutboundAttachment.__table__, columns, [(email_id, *calendar) for email_id in email_ids])
    columns, (code,) = rows.code
    producer_args = bind_processor(OutboundAttachment.__table__, "producer_args")
    executemany_raw(OutboundAttachment.__table__, columns, [
        (email_id, producer_args({"attendee_id": i}), *code) for email_id, i in zip(email_ids, ids)])
    return len(plan.guests)


@dataclass
class _Rows:
    """What `write_import` inserts, as `raw_rows` (columns, tuples) without the values that need ids."""

    emails: list[str]
    people: tuple
    #: late: person_id
    attendees: tuple
    #: late: target
    audit: tuple
    #: each invitation's dedupe key after the guest's id
    key_suffixes: list[str]
    #: each invitation's bodies split around ID_MARK (the link goes between the parts)
    texts: list[list[str]]
    htmls: list[list[str]]
    #: late: dedupe_key, body_text, body_html
    outbox: tuple
    #: one row, the same for every invitation (late: email_id)
    calendar: tuple
    #: one row (late: email_id, producer_args)
    code: tuple


def _prepare(plan: ImportPlan, *, actor: str, now: datetime) -> _Rows:
    """Every row `write_import` writes, ready for the DBAPI, made before its transaction starts."""
    emails = [guest["email"] for guest in plan.guests]
    audit = [{"at": now, "event_id": plan.event_id, "actor": actor, "action": "attendee.added",
              "details": {"status": guest["status"], "via": "import"}} for guest in plan.guests]
    bodies = ("dedupe_key", "body_text", "body_html")
    return _Rows(
        emails=emails,
        people=raw_rows(Person.__table__, [{"email": email, "created_at": now} for email in emails]),
        attendees=raw_rows(Attendee.__table__, plan.guests, late=["person_id"]),
        audit=raw_rows(AuditEntry.__table__, audit, late=["target"]),
        key_suffixes=[f":{guest['session_version']}:{guest['link_requested_at'].isoformat()}" for guest in plan.guests],
        texts=[row["body_text"].split(ID_MARK) for row in plan.emails],
        htmls=[row["body_html"].split(ID_MARK) for row in plan.emails],
        outbox=raw_rows(OutboundEmail.__table__, [{k: v for k, v in row.items() if k not in bodies}
                                                  for row in plan.emails], late=bodies),
        calendar=raw_rows(OutboundAttachment.__table__, [
            {"filename": plan.ics_name, "mimetype": "text/calendar", "content": plan.ics}], late=["email_id"]),
        code=raw_rows(OutboundAttachment.__table__, [
            {"filename": "check-in-qr.png", "mimetype": "image/png", "producer": CHECKIN_QR}],
            late=["email_id", "producer_args"]),
    )


def _linked(attendee_id: int, text: list[str], html: list[str]) -> tuple[str, str]:
    """The invitation's text and HTML bodies with guest `attendee_id`'s send-time link placeholder in them."""
    link = send_time_link(PERSONAL, attendee_id)
    return link.join(text), link.join(html)


def _already_listed(event_id: int, emails: list[str]) -> bool:
    return bool(db.session.scalar(
        select(func.count(Attendee.id)).where(Attendee.event_id == event_id, Attendee.email.in_(emails))))
