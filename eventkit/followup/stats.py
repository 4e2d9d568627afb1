"""What deepened: dashboard numbers for one gathering or all of an organiser's, and CSV exports.

Every figure comes from the same rows: one per gathering where a pair met, with the actions either
side recorded from that gathering's start on (the README's "Follow-up figures" defines each):
- stage counts: met = rows; followed up = rows with an action; reciprocated = rows where both
  sides acted; deepened = reciprocated rows with a deepening action (introduction, met again, ...);
- followed up within 48 h = rows whose first action came at most 48 h after the gathering ended,
  over all rows (met);
- median days to first follow-up = the median, over rows with an action, of the days from the
  gathering's end to the first action (0 when it came before the end);
- faded and dormant = rows whose connection is closed as faded / is dormant now;
- snoozes = times a follow-up of these gatherings was snoozed; snoozed repeatedly = follow-ups
  snoozed more than once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.downloads import csv_text
from eventkit.events.models import Event
from eventkit.followup.models import (
    ACTION_LABELS,
    DEEPENING,
    STAGE_LABELS,
    ActionKind,
    Connection,
    ConnectionLink,
    FollowUpAction,
    FollowUpTask,
    Stage,
)
from eventkit.live.outcomes import connection_priorities

FUNNEL = (("met", "Met"), ("followed_up", "Followed up"), ("reciprocated", "Reciprocated"), ("deepened", "Deepened"))
REFERRALS = frozenset({ActionKind.REFERRAL})
OPPORTUNITIES = frozenset({ActionKind.OPPORTUNITY_GIVEN, ActionKind.OPPORTUNITY_RECEIVED})


@dataclass
class Row:
    connection: Connection
    event: Event
    low: Attendee
    high: Attendee
    actions: list[FollowUpAction] = field(default_factory=list)
    #: snoozes of this gathering's follow-ups on the connection, one entry per snoozed task
    snoozes: list[int] = field(default_factory=list)
    #: both sides' answers on the day (worth it + follow up, LiveTap.priority summed); read only when
    #: `load_rows` is asked for `live_priorities`, else 0
    priority: int = 0

    @property
    def acted(self) -> list[FollowUpAction]:
        return [action for action in self.actions if action.kind != ActionKind.FADED]

    @property
    def followed_up(self) -> bool:
        return bool(self.acted)

    @property
    def reciprocated(self) -> bool:
        return len({action.actor_person_id for action in self.acted}) == 2

    @property
    def deepened(self) -> bool:
        return self.reciprocated and any(action.kind in DEEPENING for action in self.acted)

    @property
    def days_to_first(self) -> float | None:
        """Days from the gathering's end to the first action (0 if it came before the end)."""
        first = self.first_action
        return max(0.0, (first.at - self.event.ends_at).total_seconds() / 86400) if first else None

    @property
    def cross_field(self) -> bool:
        a, b = self.low.field.strip().lower(), self.high.field.strip().lower()
        return bool(a and b and a != b)

    @property
    def first_action(self) -> FollowUpAction | None:
        acted = self.acted
        return acted[0] if acted else None


@dataclass
class Stats:
    rows: list[Row]
    funnel: list[tuple[str, str, int]]
    within_48h_rate: float | None
    median_days_to_first: float | None
    referrals: int
    opportunities: int
    deepened_cross_field_share: float | None
    deepened: list[Row]
    faded: int
    dormant: int
    snoozes: int
    snoozed_repeatedly: int

    @property
    def by_priority(self) -> list[Row]:
        """The rows, those both sides said on the day were worth it / to follow up first, else in their order.

        A copy: `rows` (and so `deepened`, the exports) keep the order by gathering and names."""
        return sorted(self.rows, key=lambda row: -row.priority)


def link_rows(event_ids: list[int], *where) -> list[tuple[ConnectionLink, Connection, Event, Attendee, Attendee]]:
    """(link, connection, event, low, high) for the gatherings' connection links (3 queries).

    The links with their connections in one query, then the gatherings and their guests once each
    (not repeated on every link's row: a gathering's 80 guests meet in hundreds of pairs)."""
    found = db.session.execute(
        select(ConnectionLink, Connection).join(Connection, Connection.id == ConnectionLink.connection_id)
        .where(ConnectionLink.event_id.in_(event_ids), *where)
    ).all()
    if not found:
        return []
    events = {e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_({link.event_id for link, _c in found})))}
    people = {a.id: a for a in db.session.scalars(select(Attendee).where(Attendee.event_id.in_(list(events))))}
    missing = {i for link, _c in found for i in (link.low_attendee_id, link.high_attendee_id)} - set(people)
    if missing:  # a link's guests are its gathering's; should one not be, read it by id rather than fail
        people.update((a.id, a) for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(missing))))
    return [(link, connection, events[link.event_id], people[link.low_attendee_id], people[link.high_attendee_id])
            for link, connection in found]


def load_rows(event_ids: list[int], links: list | None = None, *, live_priorities: bool = False) -> list[Row]:
    """Connections made at these gatherings (one row per gathering link), with their actions and snoozes: 5 queries
    (2 when given the gatherings' `links`, from link_rows).

    By gathering (the earliest first), then by the two guests' names. `live_priorities` (a gathering's
    dashboard) also reads each row's `priority` from the live taps: one query more per gathering with rows."""
    if not event_ids:
        return []
    found = sorted(link_rows(event_ids) if links is None else links, key=lambda r: (r[2].starts_at, r[2].id, r[3].name, r[4].name, r[0].id))
    rows = [Row(connection, event, low, high) for _link, connection, event, low, high in found]
    by_connection: dict[int, list[Row]] = {}
    for row in rows:
        by_connection.setdefault(row.connection.id, []).append(row)
    if by_connection:
        actions = db.session.scalars(
            select(FollowUpAction).where(FollowUpAction.connection_id.in_(list(by_connection)))
            .order_by(FollowUpAction.at, FollowUpAction.id)
        )
        for action in actions:
            for row in by_connection[action.connection_id]:
                if action.at >= row.event.starts_at:
                    row.actions.append(action)
        by_link = {(row.connection.id, row.event.id): row for row in rows}
        for connection_id, event_id, snoozes in db.session.execute(
                select(FollowUpTask.connection_id, FollowUpTask.event_id, FollowUpTask.snoozes)
                .where(FollowUpTask.event_id.in_(event_ids), FollowUpTask.snoozes > 0)):
            if (connection_id, event_id) in by_link:
                by_link[(connection_id, event_id)].snoozes.append(snoozes)
    if live_priorities:
        _read_priorities(rows)
    return rows


def _read_priorities(rows: list[Row]) -> None:
    """Set each row's `priority` from its gathering's live taps (for the organiser only: both sides summed)."""
    by_event: dict[int, list[Row]] = {}
    for row in rows:
        by_event.setdefault(row.event.id, []).append(row)
    for event_id, event_rows in by_event.items():
        priorities = connection_priorities(event_id)
        for row in event_rows:
            row.priority = priorities.get(tuple(sorted((row.low.id, row.high.id))), 0)


def compute(rows: list[Row]) -> Stats:
    """The dashboard's numbers; each row counts once per gathering where the pair met."""
    deepened = [r for r in rows if r.deepened]
    reached = {
        "met": len(rows),
        "followed_up": sum(1 for r in rows if r.followed_up),
        "reciprocated": sum(1 for r in rows if r.reciprocated),
        "deepened": len(deepened),
    }
    delays = [r.days_to_first for r in rows if r.first_action]
    within = sum(1 for d in delays if d <= 2)
    actions = [a for r in rows for a in r.actions]
    return Stats(
        rows=rows,
        funnel=[(key, label, reached[key]) for key, label in FUNNEL],
        within_48h_rate=(within / len(rows)) if rows else None,
        median_days_to_first=round(median(delays), 1) if delays else None,
        referrals=sum(1 for a in actions if a.kind in REFERRALS),
        opportunities=sum(1 for a in actions if a.kind in OPPORTUNITIES),
        deepened_cross_field_share=(sum(1 for r in deepened if r.cross_field) / len(deepened)) if deepened else None,
        deepened=deepened,
        faded=sum(1 for r in rows if r.connection.faded_at),
        dormant=sum(1 for r in rows if r.connection.stage == Stage.DORMANT),
        snoozes=sum(sum(r.snoozes) for r in rows),
        snoozed_repeatedly=sum(1 for r in rows for n in r.snoozes if n > 1),
    )


def task_counts(event_id: int, now: datetime) -> dict:
    """The gathering's open follow-up tasks and how many of them are overdue (two counts)."""
    open_tasks = select(func.count()).where(FollowUpTask.event_id == event_id, FollowUpTask.done_at.is_(None))
    return {"open": db.session.scalar(open_tasks),
            "overdue": db.session.scalar(open_tasks.where(FollowUpTask.is_overdue(now)))}


def connections_csv(rows: list[Row]) -> str:
    header = ["connection_id", "gathering", "person_a", "email_a", "field_a", "person_b", "email_b", "field_b",
              "stage", "followed_up_at", "reciprocated_at", "deepened_at", "faded_at", "fade_reason", "actions"]
    return csv_text(header, (
        [r.connection.id, r.event.title, r.low.name, r.low.email, r.low.field, r.high.name, r.high.email, r.high.field,
         STAGE_LABELS.get(r.connection.stage, r.connection.stage), _iso(r.connection.followed_up_at),
         _iso(r.connection.reciprocated_at), _iso(r.connection.deepened_at), _iso(r.connection.faded_at),
         r.connection.fade_reason, len(r.actions)] for r in rows))


def actions_csv(rows: list[Row]) -> str:
    header = ["action_id", "connection_id", "gathering", "at", "actor", "for", "kind", "note"]
    lines = []
    for r in rows:
        names = {r.low.person_id: r.low.name, r.high.person_id: r.high.name}
        for a in r.actions:
            other = r.high.name if a.actor_person_id == r.low.person_id else r.low.name
            lines.append([a.id, r.connection.id, r.event.title, _iso(a.at), names.get(a.actor_person_id, ""), other,
                          ACTION_LABELS.get(a.kind, a.kind), a.note])
    return csv_text(header, lines)


def _iso(value) -> str:
    return value.isoformat() if value else ""
