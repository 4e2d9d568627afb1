"""Losing touch, for the organiser: connections quiet for longer than their rhythm, and "nudge both".

A connection of the organiser's gatherings is losing touch when it had follow-up and nobody acted
for longer than its rhythm: the cadence interval after its latest action (7, 30, then 90 days by
default), a deepened connection's shortest stay-in-touch rhythm of the two sides (never when both
chose no reminders), and always once dormant. Sorted by how long it has been quiet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.followup import links
from eventkit.followup.models import ActionKind, Connection, FollowUpAction, Stage
from eventkit.followup.rhythm import interval_after
from eventkit.followup.stats import link_rows
from eventkit.mail.links import send_time_link
from eventkit.mail.services import Message, queue_batch

NUDGE_EVERY = timedelta(days=30)
WATCHED = (Stage.FOLLOWED_UP, Stage.RECIPROCATED, Stage.DEEPENED, Stage.DORMANT)


@dataclass
class Quiet:
    connection: Connection
    event: Event
    low: Attendee
    high: Attendee
    #: the rhythm it fell behind (None once dormant)
    rhythm: timedelta | None
    quiet_for: timedelta

    @property
    def quiet_days(self) -> int:
        return self.quiet_for.days

    def can_nudge(self, now: datetime) -> bool:
        return self.connection.nudged_at is None or self.connection.nudged_at <= now - NUDGE_EVERY


def _rhythm(connection: Connection, event: Event, actions: int) -> timedelta | None:
    if connection.stage == Stage.DORMANT:
        return None
    if connection.stage == Stage.DEEPENED:
        chosen = [days for days in (connection.rhythm_days(connection.low_person_id),
                                    connection.rhythm_days(connection.high_person_id)) if days]
        return timedelta(days=min(chosen)) if chosen else timedelta.max
    return interval_after(event, actions)


def losing_touch(event_ids: list[int], now: datetime, links: list | None = None) -> list[Quiet]:
    """Connections of these gatherings quiet for longer than their rhythm, longest first (4 queries; 1 when given
    the gatherings' `links`, from stats.link_rows, as the dashboards do)."""
    if not event_ids:
        return []
    if links is None:
        links = link_rows(event_ids, Connection.stage.in_(WATCHED))
    watched = [row for row in links if row[1].stage in WATCHED]
    found = sorted(watched, key=lambda r: (r[2].starts_at, r[0].id))
    latest = {connection.id: (connection, event, low, high) for _link, connection, event, low, high in found}
    counts = dict(db.session.execute(
        select(FollowUpAction.connection_id, func.count())
        .where(FollowUpAction.connection_id.in_(list(latest)), FollowUpAction.kind != ActionKind.FADED)
        .group_by(FollowUpAction.connection_id)).all()) if latest else {}
    quiet = []
    for connection, event, low, high in latest.values():
        rhythm = _rhythm(connection, event, counts.get(connection.id, 0))
        quiet_for = now - connection.quiet_since()
        if rhythm is None or (rhythm != timedelta.max and quiet_for > rhythm):
            quiet.append(Quiet(connection, event, low, high, rhythm, quiet_for))
    return sorted(quiet, key=lambda item: (-item.quiet_for, item.connection.id))


def nudge_both(event_ids: list[int], connection_id: int, actor: str, now: datetime) -> Quiet:
    """Email both people of a quiet connection through the outbox; at most once per connection per 30 days.

    NotFound unless the connection is losing touch at one of `event_ids`; DomainError (409) if it
    was nudged less than 30 days ago. Nothing is written then.
    """
    item = next((q for q in losing_touch(event_ids, now) if q.connection.id == connection_id), None)
    if item is None:
        raise NotFound("This connection is not losing touch at your gatherings.", "not_found")
    if not item.can_nudge(now):
        raise DomainError(f"Both were nudged on {item.connection.nudged_at:%d %b %Y}; "
                          "a connection is nudged at most once every 30 days.", "nudged_recently", 409)
    messages = [_nudge(item, me, other, now) for me, other in ((item.low, item.high), (item.high, item.low))]
    item.connection.nudged_at = now
    queue_batch(messages, now)
    audit.record("followup.nudged", actor=actor, target=f"connection:{connection_id}", event_id=item.event.id)
    db.session.flush()
    return item


def nudge_url(attendee: Attendee, connection_id: int) -> str:
    """The nudge's one-click link (made when the email is sent): record getting back in touch."""
    return send_time_link(links.MAIL_PURPOSES["nudge"], attendee.id, connection_id)


def _nudge(item: Quiet, me: Attendee, other: Attendee, now: datetime) -> Message:
    return Message(me.email, me.name, f"followup:nudge:connection:{item.connection.id}:{now.date().isoformat()}:{me.id}",
                   "followup_nudge", "followup", "followup_nudge", item.event.id,
                   {"event": item.event, "other": other, "quiet_days": item.quiet_days,
                    "link": nudge_url(me, item.connection.id)}, kind="nudge", recipient_id=me.id)
