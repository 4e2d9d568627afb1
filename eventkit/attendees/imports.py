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
from eventkit.db import bind_processor, db, executemany_raw, ids_by, raw_rows
from eventkit.errors import DomainError
from eventkit.events.calendar import event_ics, ics_filename
from eventkit.events.models import Event, EventStatus
from eventkit.mail.links import send_time_links
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
    #: the highest guest and outbox ids when the plan was made: the rows are made for the ids that
    #: follow (`_prepare`), and remade in the write only if the database gave others
    last_attendee_id: int = 0
    last_email_id: int = 0


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
    return ImportPlan(event.id, taken, guests, emails, ics_filename(event), event_ics(event),
                      db.session.scalar(select(func.max(Attendee.id))) or 0,
                      db.session.scalar(select(func.max(OutboundEmail.id))) or 0)


def write_import(plan: ImportPlan, *, actor: str, now: datetime) -> int:
    """Write the planned guests, their people, audit entries, invitations and attachments; how many.

    Twelve statements for any number of guests. DomainError, writing nothing, if the list changed
    since the plan (a guest added meanwhile, a place taken): the caller's transaction rolls back.
    Every row is made before the write transaction starts (`_prepare`), for the ids the database is
    expected to give; inside it (on SQLite: holding the write lock the door's check-ins also need)
    run the checks, the inserts and the id lookups, and the rows that need ids are remade only if
    the ids are not the expected ones (another guest or email was written since the plan).
    """
    if not plan.guests:
        return 0
    rows = _prepare(plan, actor=actor, now=now)
    event = lock_event(plan.event_id)  # the write transaction (SQLite's write lock) starts here
    emails = rows.emails
    if event.status == EventStatus.FINISHED or places_taken(event.id) != plan.taken or _already_listed(event.id, emails):
        raise DomainError(CHANGED, "changed", 409)
    executemany_raw(Person.__table__, *rows.people, conflict_columns=["email"])
    people = ids_by(Person.__table__, "email", emails)
    columns, values = rows.attendees
    executemany_raw(Attendee.__table__, columns, [(people[email], *row) for email, row in zip(emails, values)])
    found = ids_by(Attendee.__table__, "email", emails, event_id=event.id)
    ids = [found[email] for email in emails]
    audit, outbox = rows.by_guest if ids == rows.expected_ids else _by_guest(rows, ids)
    executemany_raw(AuditEntry.__table__, *audit)
    executemany_raw(OutboundEmail.__table__, *outbox, conflict_columns=["dedupe_key"])
    keys = ids_by(OutboundEmail.__table__, "dedupe_key", [row[0] for row in outbox[1]])
    email_ids = [keys[row[0]] for row in outbox[1]]
    calendars, codes = (rows.by_email if email_ids == rows.expected_email_ids and ids == rows.expected_ids
                        else _by_email(rows, email_ids, ids))
    executemany_raw(OutboundAttachment.__table__, *calendars)
    executemany_raw(OutboundAttachment.__table__, *codes)
    return len(plan.guests)


@dataclass
class _Rows:
    """What `write_import` inserts, as `raw_rows` (columns, tuples), made before its transaction."""

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
    #: the ids the guests and their emails are expected to get, and their rows made with them
    expected_ids: list[int]
    expected_email_ids: list[int]
    by_guest: tuple = ()
    by_email: tuple = ()


def _prepare(plan: ImportPlan, *, actor: str, now: datetime) -> _Rows:
    """Every row `write_import` writes, ready for the DBAPI, made before its transaction starts.

    Guests and emails get consecutive ids after the highest when nobody else writes any meanwhile
    (SQLite gives max(id) + 1 and the write lock is held; PostgreSQL's sequences the next values),
    so the rows that carry ids are made for those; `write_import` checks the ids it got.
    """
    emails = [guest["email"] for guest in plan.guests]
    audit = [{"at": now, "event_id": plan.event_id, "actor": actor, "action": "attendee.added",
              "details": {"status": guest["status"], "via": "import"}} for guest in plan.guests]
    bodies = ("dedupe_key", "body_text", "body_html")
    count = len(plan.guests)
    rows = _Rows(
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
        expected_ids=list(range(plan.last_attendee_id + 1, plan.last_attendee_id + 1 + count)),
        expected_email_ids=list(range(plan.last_email_id + 1, plan.last_email_id + 1 + count)),
    )
    rows.by_guest = _by_guest(rows, rows.expected_ids)
    rows.by_email = _by_email(rows, rows.expected_email_ids, rows.expected_ids)
    return rows


def _by_guest(rows: _Rows, ids: list[int]) -> tuple[tuple, tuple]:
    """The audit entries and invitations of guests `ids`: (columns, tuples) each."""
    columns, values = rows.audit
    audit = (columns, [(f"attendee:{i}", *row) for i, row in zip(ids, values)])
    columns, values = rows.outbox
    links = send_time_links(PERSONAL, ids)
    outbox = (columns, [(f"invitation:{i}{suffix}", link.join(text), link.join(html), *row)
                        for i, link, suffix, text, html, row in zip(ids, links, rows.key_suffixes, rows.texts,
                                                                     rows.htmls, values)])
    return audit, outbox


def _by_email(rows: _Rows, email_ids: list[int], ids: list[int]) -> tuple[tuple, tuple]:
    """The calendar file (bytes) and the QR code (made when sent) of each invitation: (columns, tuples) each."""
    columns, (calendar,) = rows.calendar
    calendars = (columns, [(email_id, *calendar) for email_id in email_ids])
    columns, (code,) = rows.code
    producer_args = bind_processor(OutboundAttachment.__table__, "producer_args")
    codes = (columns, [(email_id, producer_args({"attendee_id": i}), *code) for email_id, i in zip(email_ids, ids)])
    return calendars, codes


def _already_listed(event_id: int, emails: list[str]) -> bool:
    return bool(db.session.scalar(
        select(func.count(Attendee.id)).where(Attendee.event_id == event_id, Attendee.email.in_(emails))))
