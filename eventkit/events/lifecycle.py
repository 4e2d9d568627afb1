"""The gathering's life, named the same everywhere: set up → invite → prepare → door → conversations → follow-up.

`lifecycle(event, now)` reads a handful of counts (four queries at most, whatever the size) and
says for each step whether it is done, current or still to do, what is missing, and the one next
action. `guest_phase(event, now)` is the guest's view of the same life: before, on the day, after.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import case, exists, func, or_, select

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.db import db
from eventkit.events.models import Event, EventStatus
from eventkit.followup.models import FollowUpTask
from eventkit.mail.claims import held_count
from eventkit.matching.models import Conversation, Plan
from eventkit.profiles.models import Intent

SETUP, INVITE, PREPARE, DOOR, CONVERSATIONS, FOLLOWUP = "setup", "invite", "prepare", "door", "conversations", "followup"
#: the steps in order, with the names every page uses
PHASES: dict[str, str] = {SETUP: "Set up", INVITE: "Invite", PREPARE: "Prepare", DOOR: "Door",
                          CONVERSATIONS: "Conversations", FOLLOWUP: "Follow-up"}
#: the guest's side of the same life
BEFORE, DAY, AFTER = "before", "day", "after"


@dataclass(frozen=True)
class Facts:
    """The counts the steps are computed from."""

    tags: int = 0
    guests: int = 0
    unanswered: int = 0
    coming: int = 0
    expected: int = 0
    arrived: int = 0
    without_offer: int = 0
    incomplete: int = 0
    plan_conversations: int = 0
    plan_locked: bool = False
    rounds: int = 0
    rounds_held: int = 0
    open_tasks: int = 0
    overdue_tasks: int = 0


@dataclass(frozen=True)
class Action:
    """The one next step: a link, or a small POST form (`fields`) with an optional confirmation."""

    label: str
    url: str
    method: str = "get"
    fields: dict[str, str] = field(default_factory=dict)
    confirm: str | None = None


@dataclass(frozen=True)
class Step:
    key: str
    name: str
    state: str  # done | current | todo
    note: str
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Lifecycle:
    phase: str
    steps: list[Step]
    next_action: Action
    facts: Facts

    @property
    def phase_name(self) -> str:
        return PHASES[self.phase]


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def load_facts(event: Event, now: datetime) -> Facts:
    """Guests, readiness, check-ins (one query), the plan (one), tags (the loaded relationship), follow-up (one)."""
    has_offer = exists().where(Intent.attendee_id == Attendee.id, Intent.kind == "offer")
    incomplete = or_(Attendee.role == "", Attendee.organisation == "", Attendee.field == "", Attendee.bio == "")
    coming = Attendee.is_coming

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    guests = db.session.execute(
        select(func.count(Attendee.id), count(Attendee.status == AttendeeStatus.INVITED), count(coming),
               count(Attendee.is_expected), count(Attendee.checked_in_at.is_not(None)),
               count(coming & ~has_offer), count(coming & incomplete))
        # applications awaiting review are not guests yet (the registration panel counts them)
        .where(Attendee.event_id == event.id, Attendee.status != AttendeeStatus.APPLIED)
    ).one()
    plan = db.session.execute(
        select(Plan.rounds, Plan.rounds_held, Plan.locked_at, func.count(Conversation.id))
        .outerjoin(Conversation, Conversation.plan_id == Plan.id)
        .where(Plan.event_id == event.id).group_by(Plan.id, Plan.rounds, Plan.rounds_held, Plan.locked_at)
    ).first()
    tasks = (0, 0)
    if event.status == EventStatus.FINISHED:
        tasks = db.session.execute(
            select(count(FollowUpTask.done_at.is_(None)), count(FollowUpTask.is_overdue(now)))
            .where(FollowUpTask.event_id == event.id)
        ).one()
    return Facts(
        tags=len(event.tags), guests=guests[0], unanswered=guests[1], coming=guests[2], expected=guests[3],
        arrived=guests[4], without_offer=guests[5], incomplete=guests[6],
        plan_conversations=plan[3] if plan else 0, plan_locked=bool(plan and plan[2]),
        rounds=plan[0] if plan else 0, rounds_held=plan[1] if plan else 0,
        open_tasks=tasks[0], overdue_tasks=tasks[1],
    )


def current_phase(event: Event, facts: Facts, now: datetime) -> str:
    """Which step the gathering is at, from its status, its times and the counts."""
    if event.status == EventStatus.FINISHED:
        return FOLLOWUP
    if event.status == EventStatus.DRAFT:
        return SETUP
    if now >= event.ends_at:
        return CONVERSATIONS
    if now >= event.starts_at:
        return CONVERSATIONS if facts.rounds_held else DOOR
    if event.status == EventStatus.OPEN and (facts.unanswered or not facts.guests):
        return INVITE
    return PREPARE


def _notes(facts: Facts, phase: str) -> dict[str, tuple[str, list[str]]]:
    """Each step's summary and what is missing, in words."""
    f = facts
    setup_missing = [text for n, text in ((f.guests, "No guests yet"), (f.tags, "No topic tags yet")) if not n]
    prepare_missing = []
    if f.without_offer:
        prepare_missing.append(f"{plural(f.without_offer, 'guest has', 'guests have')} no offer yet")
    if f.incomplete:
        prepare_missing.append(f"{plural(f.incomplete, 'profile')} incomplete")
    if not f.plan_conversations:
        prepare_missing.append("No conversation plan yet")
    elif not f.plan_locked:
        prepare_missing.append("The plan is not locked: guests don't see it yet")
    replied = f.guests - f.unanswered
    return {
        SETUP: (f"{plural(f.tags, 'topic tag')}, {plural(f.guests, 'guest')}", setup_missing),
        INVITE: (f"{replied} of {f.guests} replied",
                 [f"{plural(f.unanswered, 'guest has', 'guests have')} not replied yet"] if f.unanswered else []),
        PREPARE: ("Plan locked" if f.plan_locked else f"{f.coming - f.without_offer} of {f.coming} with an offer",
                  prepare_missing),
        DOOR: (f"{f.arrived} of {f.expected} arrived" if f.arrived else f"{f.expected} expected", []),
        CONVERSATIONS: (f"{f.rounds_held} of {f.rounds} rounds held" if f.rounds else "No plan", []),
        FOLLOWUP: (f"{plural(f.open_tasks, 'open follow-up')}, {f.overdue_tasks} overdue" if phase == FOLLOWUP
                   else "Starts when you mark the gathering finished",
                   [f"{plural(f.overdue_tasks, 'follow-up')} overdue"] if f.overdue_tasks else []),
    }


#: button label and whether to ask for confirmation, per status change
STATUS_ACTIONS = {
    (EventStatus.DRAFT, EventStatus.OPEN): ("Open registration", None),
    (EventStatus.OPEN, EventStatus.DRAFT): ("Back to draft", None),
    (EventStatus.OPEN, EventStatus.CLOSED): ("Close registration", None),
    (EventStatus.CLOSED, EventStatus.OPEN): ("Reopen registration", None),
    (EventStatus.CLOSED, EventStatus.FINISHED): (
        "Mark as finished", "Mark the gathering as finished? This starts the follow-up and cannot be undone."),
}


def status_button(event: Event, target: str) -> tuple[str, str | None]:
    """The label and confirmation of a status change; opening a draft says how many held emails go out, and asks."""
    current = EventStatus(event.status)
    label, confirm = STATUS_ACTIONS[(current, EventStatus(target))]
    if current == EventStatus.DRAFT and (held := held_count(event.id)):
        emails = "1 email" if held == 1 else f"{held} emails"
        return f"{label} and send {emails}", f"Open registration? The {emails} held while this was a draft go out now."
    return label, confirm


def _status_action(event: Event, status: str) -> Action:
    label, confirm = status_button(event, status)
    return Action(label, url_for("events.change_status", event_id=event.id), "post", {"status": status}, confirm)


def next_action(event: Event, facts: Facts, phase: str, now: datetime) -> Action:
    """The one primary action of the current step."""
    add_guests = Action("Add guests", url_for("attendees.guest_list", event_id=event.id, _anchor="add"))
    plan_page = url_for("matching.show", event_id=event.id)
    if phase in (SETUP, INVITE) and not facts.guests:
        return add_guests
    if phase == SETUP:
        if not facts.tags:
            return Action("Add topic tags", url_for("events.show", event_id=event.id, _anchor="tags"))
        return _status_action(event, EventStatus.OPEN)
    if phase == INVITE:
        return Action("See who has not replied", url_for("attendees.guest_list", event_id=event.id, status="invited"))
    if phase == PREPARE:
        if not facts.plan_conversations:
            return Action("Plan conversations", plan_page)
        if not facts.plan_locked:
            return Action("Review and lock the plan", plan_page)
        return Action("Print the briefings pack", url_for("briefings.request_pack", event_id=event.id), "post",
                      {"paper": "a4"})
    if phase == DOOR:
        return Action("Open the door", url_for("checkin.manage", event_id=event.id))
    if phase == CONVERSATIONS:
        if now < event.ends_at:
            return Action("Run the conversation rounds", url_for("live.board_page", event_id=event.id))
        if event.status == EventStatus.OPEN:
            return _status_action(event, EventStatus.CLOSED)
        return _status_action(event, EventStatus.FINISHED)
    label = f"See the {plural(facts.overdue_tasks, 'overdue follow-up')}" if facts.overdue_tasks else "What deepened"
    return Action(label, url_for("followup.dashboard", event_id=event.id))


def lifecycle(event: Event, now: datetime) -> Lifecycle:
    """The six steps with their state and notes, the current phase and its next action."""
    facts = load_facts(event, now)
    phase = current_phase(event, facts, now)
    position = list(PHASES).index(phase)
    notes = _notes(facts, phase)
    steps = []
    for index, (key, name) in enumerate(PHASES.items()):
        state = "done" if index < position else "current" if index == position else "todo"
        note, missing = notes[key]
        if state == "todo" and key in (DOOR, CONVERSATIONS, FOLLOWUP):
            missing = []
        steps.append(Step(key, name, state, note, missing))
    return Lifecycle(phase, steps, next_action(event, facts, phase, now), facts)


def guest_phase(event: Event, now: datetime) -> str:
    """The guest's phase: before the gathering, on the day (from the day's start in its time zone), after."""
    if event.status == EventStatus.FINISHED or now >= event.ends_at:
        return AFTER
    if now >= event.starts_at or event.local(now).date() >= event.local(event.starts_at).date():
        return DAY
    return BEFORE
