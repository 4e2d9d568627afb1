"""A guest's own view: their connections with history, open tasks, give/take balance, dormant ones."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.followup.models import ActionKind, Connection, ConnectionLink, FollowUpAction, FollowUpTask, Stage
from eventkit.matching.models import Conversation

DORMANT_AFTER = timedelta(days=60)


@dataclass
class Entry:
    connection: Connection
    other: Attendee
    events: list[Event] = field(default_factory=list)
    actions: list[FollowUpAction] = field(default_factory=list)
    open_tasks: list[FollowUpTask] = field(default_factory=list)

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
    listed = sorted(entries.values(), key=lambda e: (e.next_task is None, e.next_task.due_at if e.next_task else now))
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
