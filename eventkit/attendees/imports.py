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

Inside the write transaction only the statements run: every row is made before it (`_prepare`),
for the ids the database is expected to give, with the values all rows share written once into
each statement (`eventkit.db.split_shared`); each guest's person_id is looked up by the insert
itself; the new ids are checked with one aggregate SELECT per table (`eventkit.db.id_lines`); and
the attachments are made by the database from the new emails (INSERT ... SELECT).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String, cast, func, insert, literal, select, type_coerce
from sqlalchemy.exc import IntegrityError

from eventkit.attendees.invitations import CHECKIN_QR
from eventkit.attendees.links import PERSONAL, days_after
from eventkit.attendees.models import Attendee, AttendeeStatus, Person
from eventkit.attendees.services import GuestData, lock_event, places_taken
from eventkit.audit import AuditEntry
from eventkit.db import (
    bind_processor,
    db,
    executemany_raw,
    id_lines,
    id_lines_of,
    ids_by,
    keep_until_request_ends,
    key_lines,
    raw_rows,
    split_shared,
)
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

    Ten statements for any number of guests (two more if the ids are not the expected ones).
    DomainError, writing nothing, if the list changed since the plan (a guest added meanwhile, a
    place taken): the caller's transaction rolls back.
    Every row is made before the write transaction starts (`_prepare`), for the ids the database is
    expected to give; inside it (on SQLite: holding the write lock the door's check-ins also need)
    run the checks, the inserts and the id lookups, and the rows that need ids are remade only if
    the ids are not the expected ones (another guest or email was written since the plan). The
    rows are freed after the request's commit, not in the lock (`keep_until_request_ends`).
    """
    if not plan.guests:
        return 0
    rows = _prepare(plan, actor=actor, now=now)
    keep_until_request_ends(plan, rows)
    event = lock_event(plan.event_id)  # the write transaction (SQLite's write lock) starts here
    if event.status == EventStatus.FINISHED or places_taken(event.id) != plan.taken:
        raise DomainError(CHANGED, "changed", 409)
    shared = rows.shared
    executemany_raw(Person.__table__, *rows.people, conflict_columns=["email"], shared=shared["person"])
    try:  # each guest's person_id is looked up by the insert, from the email
        executemany_raw(Attendee.__table__, *rows.attendees, looked_up={"person_id": Person.__table__.c.email},
                        shared=shared["attendee"])
    except IntegrityError as error:
        # UNIQUE (event_id, email): one of the addresses was added to the list since the plan
        raise DomainError(CHANGED, "changed", 409) from error
    ids = rows.expected_ids
    if id_lines(Attendee.__table__, ["event_id", "email"], ids[0], ids[-1]) != rows.expected_guest_lines:
        found = ids_by(Attendee.__table__, "email", rows.emails, event_id=event.id)
        ids = [found[email] for email in rows.emails]
    audit, outbox = rows.by_guest if ids == rows.expected_ids else _by_guest(rows, ids)
    executemany_raw(AuditEntry.__table__, *audit, shared=shared["audit_entry"])
    executemany_raw(OutboundEmail.__table__, *outbox, conflict_columns=["dedupe_key"], shared=shared["outbound_email"])
    email_ids = rows.expected_email_ids
    keys = rows.expected_keys if ids == rows.expected_ids else [row[0] for row in outbox[1]]
    if ids != rows.expected_ids or key_lines(OutboundEmail.__table__, "dedupe_key", keys) != rows.expected_email_lines:
        by_key = ids_by(OutboundEmail.__table__, "dedupe_key", keys)
        email_ids = [by_key[key] for key in keys]
    _attach(rows, email_ids, ids)
    return len(plan.guests)


@dataclass
class _Rows:
    """What `write_import` inserts, as `raw_rows` (columns, tuples), made before its transaction."""

    event_id: int
    emails: list[str]
    people: tuple
    #: person_id given as the person's email (`executemany_raw`'s `looked_up`)
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
    #: the two attachments of every invitation, the calendar file (the same bytes for each) and the
    #: QR code (made when sent), both with the same columns (late: email_id, producer_args)
    calendar: tuple
    code: tuple
    #: the calendar file's name and bytes
    ics_name: str
    ics: bytes
    #: the ids the guests and their emails are expected to get, and their rows made with them
    expected_ids: list[int]
    expected_email_ids: list[int]
    #: {table name: {column: the value every row has}} (`split_shared`)
    shared: dict[str, dict] = field(default_factory=dict)
    by_guest: tuple = ()
    #: `id_lines` of the new guests (id, event, email) and of their emails (id, dedupe key) if they
    #: get the expected ids
    expected_guest_lines: str = ""
    expected_email_lines: str = ""
    #: the invitations' dedupe keys if the guests get the expected ids
    expected_keys: list[str] = field(default_factory=list)


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
    # the values every row shares (the gathering, the timestamps, the defaults) are bound once (`split_shared`)
    people_columns, people, people_shared = split_shared(
        raw_rows(Person.__table__, [{"email": email, "created_at": now} for email in emails]))
    columns, guests, guests_shared = split_shared(raw_rows(Attendee.__table__, plan.guests, late=["person_id"]), 1)
    audit_columns, audit, audit_shared = split_shared(raw_rows(AuditEntry.__table__, audit, late=["target"]), 1)
    outbox_columns, outbox, outbox_shared = split_shared(raw_rows(OutboundEmail.__table__, [
        {k: v for k, v in row.items() if k not in bodies} for row in plan.emails], late=bodies), len(bodies))
    attachment_columns, (calendar, code) = raw_rows(OutboundAttachment.__table__, [
        {"filename": plan.ics_name, "mimetype": "text/calendar", "content": plan.ics},
        {"filename": "check-in-qr.png", "mimetype": "image/png", "producer": CHECKIN_QR},
    ], late=["email_id", "producer_args"])
    rows = _Rows(
        event_id=plan.event_id,
        emails=emails,
        people=(people_columns, people),
        attendees=(columns, [(email, *row) for email, row in zip(emails, guests)]),
        audit=(audit_columns, audit),
        key_suffixes=[f":{guest['session_version']}:{guest['link_requested_at'].isoformat()}" for guest in plan.guests],
        texts=[row["body_text"].split(ID_MARK) for row in plan.emails],
        htmls=[row["body_html"].split(ID_MARK) for row in plan.emails],
        outbox=(outbox_columns, outbox),
        shared={"person": people_shared, "attendee": guests_shared, "audit_entry": audit_shared,
                "outbound_email": outbox_shared},
        calendar=(attachment_columns, calendar),
        code=(attachment_columns, code),
        ics_name=plan.ics_name,
        ics=plan.ics,
        expected_ids=list(range(plan.last_attendee_id + 1, plan.last_attendee_id + 1 + count)),
        expected_email_ids=list(range(plan.last_email_id + 1, plan.last_email_id + 1 + count)),
    )
    rows.by_guest = _by_guest(rows, rows.expected_ids)
    rows.expected_guest_lines = id_lines_of(rows.expected_ids, [plan.event_id] * count, emails)
    rows.expected_keys = [row[0] for row in rows.by_guest[1][1]]
    rows.expected_email_lines = id_lines_of(rows.expected_email_ids, rows.expected_keys)
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


def _attach(rows: _Rows, email_ids: list[int], ids: list[int]) -> None:
    """Insert the attachments of invitations `email_ids` to guests `ids`: the calendar file (the same
    bytes for each), then the QR code (made when sent).

    When the guests and their emails got the ids expected (consecutive, the usual case), two
    INSERT ... SELECT over the new emails' ids: the database makes the 4,000 rows of a 2,000-guest
    import from the emails it has just stored, without the driver binding 24,000 parameters one row
    at a time (about 12 ms instead of 15 in the lock; the rest is SQLite's own work per row: the
    foreign key and the index). Otherwise one executemany of the rows made for the ids the database
    gave (`_by_email`).
    """
    if email_ids != rows.expected_email_ids or ids != rows.expected_ids:
        executemany_raw(OutboundAttachment.__table__, *_by_email(rows, email_ids, ids))
        return
    attachment, email = OutboundAttachment.__table__, OutboundEmail.__table__
    # the expected ids are consecutive, and every one of them is an email of this import (checked
    # before); with the gathering too, the database reads them from its index on event_id alone
    new = (email.c.event_id == rows.event_id) & email.c.id.between(email_ids[0], email_ids[-1])
    # each QR code's producer_args, {"attendee_id": <the guest's id>}, as the JSON type writes it
    guest_id = cast(email.c.id + (ids[0] - email_ids[0]), String)
    args = literal('{"attendee_id": ', String) + guest_id + literal("}", String)
    args = cast(args, JSON) if db.session.get_bind().dialect.name == "postgresql" else type_coerce(args, JSON)
    connection = db.session.connection()
    connection.execute(insert(attachment).from_select(
        ["email_id", "filename", "mimetype", "content"],
        select(email.c.id, literal(rows.ics_name, String), literal("text/calendar", String),
               literal(rows.ics, LargeBinary)).where(new).order_by(email.c.id)))
    connection.execute(insert(attachment).from_select(
        ["email_id", "filename", "mimetype", "producer", "producer_args"],
        select(email.c.id, literal("check-in-qr.png", String), literal("image/png", String),
               literal(CHECKIN_QR, String), args).where(new).order_by(email.c.id)))


def _by_email(rows: _Rows, email_ids: list[int], ids: list[int]) -> tuple:
    """The attachments of each invitation, its calendar file (bytes) then its QR code (made when sent):
    (columns, tuples), for one insert."""
    columns, calendar = rows.calendar
    _, code = rows.code
    producer_args = bind_processor(OutboundAttachment.__table__, "producer_args")
    values = []
    for email_id, i in zip(email_ids, ids):
        values.append((email_id, None, *calendar))
        values.append((email_id, producer_args({"attendee_id": i}), *code))
    return columns, values
