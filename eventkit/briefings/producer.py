"""The "briefing" attachment producer: a guest's briefing PDF, made by the mail sender as it sends.

`prepare` checks each request against the database as it is now (the plan still locked as it was
when the email was queued, the guest still expected at the door) and builds the sheets as plain
data. `make` renders the guests of one gathering and paper size together in one pass, cut into
one PDF per guest (`render_sheets(split=True)`: about 0.3 s a guest instead of 0.9 s one by one);
if that render fails, it renders each guest alone, so one bad briefing does not hold up the rest.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from eventkit.briefings import content
from eventkit.briefings.blueprint import bp
from eventkit.briefings.emailing import PRODUCER
from eventkit.briefings.services import Paper, paper_for, render_sheets
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.mail.producers import ProduceError, Producer, register_producer

log = logging.getLogger(__name__)

#: render codes worth another try later (the renderer was busy, or this send run ran out of time)
TEMPORARY_CODES = frozenset({"render_busy", "out_of_time"})
#: seconds a render needs at least; with less left in the run, the rest waits for the next run
MIN_RENDER_SECONDS = 5.0


@dataclass
class Group:
    """The guests of one gathering on one paper size: rendered together."""

    event: content.EventInfo
    paper: Paper
    sheets: list[content.GuestSheet] = field(default_factory=list)


@dataclass
class Work:
    #: one per request, in order: why it cannot be made, or (group key, attendee id)
    items: list[ProduceError | tuple[tuple[int, str], int]]
    groups: dict[tuple[int, str], Group]


def prepare(requests: list[dict]) -> Work:
    """Check every request and build its sheet; one roster load per gathering."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for args in requests:
        if isinstance(args.get("event_id"), int) and isinstance(args.get("attendee_id"), int):
            wanted[args["event_id"]].add(args["attendee_id"])
    rosters = {event_id: _roster(event_id, ids) for event_id, ids in wanted.items()}
    work = Work(items=[], groups={})
    for args in requests:
        try:
            work.items.append(_prepare_one(args, rosters, work.groups))
        except ProduceError as error:
            work.items.append(error)
    return work


def _roster(event_id: int, attendee_ids: set[int]) -> content.Roster | None:
    event = db.session.get(Event, event_id)
    return content.load_roster(event, note_authors=sorted(attendee_ids)) if event is not None else None


def _prepare_one(args: dict, rosters: dict, groups: dict[tuple[int, str], Group]):
    roster = rosters.get(args.get("event_id"))
    if roster is None:
        raise ProduceError("Not sent: the gathering no longer exists.")
    guest = roster.attendees.get(args.get("attendee_id"))
    if guest is None:
        raise ProduceError("Not sent: this guest was removed from the guest list after the email was queued.")
    _check_plan(roster.event.plan_locked_at, args.get("locked_at"))
    if not guest.is_expected:
        raise ProduceError(f"Not sent: {guest.name} is now {guest.status}, and briefings go only to guests "
                           "expected at the door.")
    try:
        paper = paper_for(args.get("paper"))
    except DomainError as error:
        raise ProduceError(f"Not sent: {error.message}") from None
    key = (roster.event.id, paper.key)
    group = groups.setdefault(key, Group(roster.event, paper))
    if all(sheet.guest.id != guest.id for sheet in group.sheets):
        group.sheets.append(content.guest_sheet(roster, guest))
    return key, guest.id


def _check_plan(locked_at, queued_for: str | None) -> None:
    if locked_at is None:
        raise ProduceError("Not sent: the conversation plan was unlocked after this briefing was queued. "
                           "Lock the plan and email the briefings again.")
    if locked_at.isoformat() != queued_for:
        raise ProduceError("Not sent: the conversation plan was changed and locked again after this briefing "
                           "was queued, so it is out of date. Email the briefings again to send the current plan.")


def make(work: Work, seconds: float) -> list[bytes | ProduceError]:
    """Render each group in one pass (one by one if that fails); one PDF or reason per request."""
    deadline = time.monotonic() + seconds
    made = {key: _render_group(group, deadline) for key, group in work.groups.items()}
    missing = ProduceError("The briefing PDF came out without this guest's pages.")
    return [item if isinstance(item, ProduceError) else made[item[0]].get(item[1], missing) for item in work.items]


def _render_group(group: Group, deadline: float) -> dict[int, bytes | ProduceError]:
    try:
        return dict(_render(group, group.sheets, deadline).sections)
    except DomainError as error:
        if len(group.sheets) == 1:
            return {group.sheets[0].guest.id: _reason(error, group.sheets[0])}
        log.warning("briefings: rendering %d briefings together failed (%s); one by one now",
                    len(group.sheets), error.message)
    made: dict[int, bytes | ProduceError] = {}
    for sheet in group.sheets:
        try:
            made.update(_render(group, [sheet], deadline).sections)
        except DomainError as error:
            made[sheet.guest.id] = _reason(error, sheet)
    return made


def _render(group: Group, sheets: list[content.GuestSheet], deadline: float):
    left = deadline - time.monotonic()
    if left < MIN_RENDER_SECONDS:
        raise DomainError("This send run ran out of time; the briefing is made on the next run.", "out_of_time")
    title = f"Briefings: {group.event.title}"
    return render_sheets(sheets, group.event, group.paper, title, split=True, timeout=left)


def _reason(error: DomainError, sheet: content.GuestSheet) -> ProduceError:
    return ProduceError(f"The briefing PDF for {sheet.guest.name} could not be made: {error.message}",
                        temporary=error.code in TEMPORARY_CODES)


@bp.record_once
def _register(state) -> None:
    """The mail sender makes "briefing" attachments with this producer."""
    register_producer(state.app, PRODUCER, Producer(prepare=prepare, make=make))
