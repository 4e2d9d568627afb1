"""A guest's own view: their connections with history, open tasks, give/take balance, dormant ones."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.followup.models import ActionKind, Connection, ConnectionLink, FollowUpAction, FollowUpTask, Stage
from eventkit.live.models import LiveTap  # the model only: eventkit.live's services import followup's
from eventkit.matching.models import Conversation

DORMANT_AFTER = timedelta(days=60)


@dataclass
class Entry:
    connection: Connection
    other: Attendee
    events: list[Event] = field(default_factory=list)
    actions: list[FollowUpAction] = field(default_factory=list)
    open_tasks: list[FollowUpTask] = field(default_factory=list)
    #: what the guest themself answered on the day (worth it + follow up, 0-3); never the other side's answer
    priority: int = 0

    @property
    def next_task(self) -> FollowUpTask | None:
        return self.open_tasks[0] if self.open_tasks else None


@dataclass
class Overview:
    entries: list[Entry]
    here: list[Entry]
    dormant: list[Entry]
    given: int
    received: int
    overdue: int


def _connections(person_id: int) -> list[Connection]:
    return list(db.session.scalars(select(Connection).where(
        or_(Connection.low_person_id == person_id, Connection.high_person_id == person_id)).order_by(Connection.id)))


def _latest_attendees(person_ids: set[int]) -> dict[int, Attendee]:
    rows = db.session.scalars(select(Attendee).where(Attendee.person_id.in_(person_ids)).order_by(Attendee.id))
    return {attendee.person_id: attendee for attendee in rows}


def own_priorities(person_id: int) -> dict[int, int]:
    """Other person id -> the highest priority this guest gave them in their OWN live taps (one query).

    Only the guest's answers are read (LiveTap.attendee_id is one of the guest's own attendances), so the
    order of their page says nothing about what the other side answered."""
    mine = select(Attendee.id).where(Attendee.person_id == person_id)
    partner = Attendee.__table__.alias("partner")
    rows = db.session.execute(
        select(LiveTap, partner.c.person_id)
        .join(Conversation, Conversation.id == LiveTap.conversation_id)
        .join(partner, or_(partner.c.id == Conversation.a_id, partner.c.id == Conversation.b_id,
                           partner.c.id == Conversation.c_id))
        .where(LiveTap.attendee_id.in_(mine), LiveTap.met.is_(True), partner.c.id != LiveTap.attendee_id))
    out: dict[int, int] = {}
    for tap, other_person_id in rows:
        out[other_person_id] = max(out.get(other_person_id, 0), tap.priority)
    return out


def overview(attendee: Attendee, now: datetime) -> Overview:
    """Everything on the guest's connections page, in a fixed handful of queries."""
    pid = attendee.person_id
    connections = _connections(pid)
    ids = [c.id for c in connections]
    others = _latest_attendees({c.other_person_id(pid) for c in connections}) if connections else {}
    entries = {c.id: Entry(c, others[c.other_person_id(pid)]) for c in connections}
    if ids:
        for link, event in db.session.execute(select(ConnectionLink, Event).join(Event, Event.id == ConnectionLink.event_id)
                                              .where(ConnectionLink.connection_id.in_(ids)).order_by(Event.starts_at)):
            entries[link.connection_id].events.append(event)
        for action in db.session.scalars(select(FollowUpAction).where(FollowUpAction.connection_id.in_(ids))
                                         .order_by(FollowUpAction.at, FollowUpAction.id)):
            entries[action.connection_id].actions.append(action)
        mine = select(Attendee.id).where(Attendee.person_id == pid)
        for task in db.session.scalars(select(FollowUpTask).where(
                FollowUpTask.connection_id.in_(ids), FollowUpTask.owner_id.in_(mine), FollowUpTask.done_at.is_(None))
                .order_by(FollowUpTask.due_at)):
            entries[task.connection_id].open_tasks.append(task)
        priorities = own_priorities(pid)
        for entry in entries.values():
            entry.priority = priorities.get(entry.connection.other_person_id(pid), 0)
    # first those the guest said were worth it / to follow up, then by the next follow-up due
    listed = sorted(entries.values(), key=lambda e: (-e.priority, e.next_task is None,
                                                     e.next_task.due_at if e.next_task else now))
    actions = [a for e in listed for a in e.actions if a.kind != ActionKind.FADED]
    given = sum(1 for a in actions if a.actor_person_id == pid and a.kind != ActionKind.OPPORTUNITY_RECEIVED)
    received = sum(1 for a in actions if a.actor_person_id != pid) + sum(
        1 for a in actions if a.actor_person_id == pid and a.kind == ActionKind.OPPORTUNITY_RECEIVED)
    here = [e for e in listed if any(ev.id == attendee.event_id for ev in e.events)]
    dormant = [e for e in listed if e not in here and e.connection.stage != Stage.FADED
               and (e.connection.stage == Stage.DORMANT or e.connection.quiet_since() < now - DORMANT_AFTER)]
    overdue = sum(1 for e in listed for t in e.open_tasks if t.is_overdue(now))
    return Overview(listed, here, dormant, given, received, overdue)


def my_conversations(attendee: Attendee) -> list[Conversation]:
    """The guest's planned conversations at this gathering (to mark those that didn't happen)."""
    return list(db.session.scalars(select(Conversation).where(
        Conversation.event_id == attendee.event_id,
        or_(Conversation.a_id == attendee.id, Conversation.b_id == attendee.id, Conversation.c_id == attendee.id),
    ).order_by(Conversation.round)))
