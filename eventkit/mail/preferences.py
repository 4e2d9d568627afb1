"""Which emails a guest gets: opt-outs by topic, for one gathering or across an organiser's gatherings.

An opt-out lives on the guest's row of each gathering (`Attendee.<topic>_opt_out`), so the code
that queues a kind of email reads one column. Choosing "all of this organiser's gatherings" sets
it on the person's row of every gathering that organiser owns. The weekly digest is one email per
person across their gatherings, so its one-click link stops it on all of the person's rows.
Opting out never hides anything: tasks still show on the guest's page and still count as overdue.
"""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import func, select, update

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import NotFound
from eventkit.events.models import Event
from eventkit.mail.kinds import Topic


class Scope(StrEnum):
    #: this gathering only
    EVENT = "event"
    #: every gathering of this gathering's organiser
    ORGANISER = "organiser"
    #: every gathering of this person (the digest's one-click link)
    PERSON = "person"


def choices(attendee: Attendee) -> dict[Topic, bool]:
    """Topic -> True when this guest gets it at this gathering."""
    return {topic: not getattr(attendee, topic.column) for topic in Topic}


def _rows(attendee: Attendee, scope: Scope):
    """The condition selecting the guest rows a choice at `scope` applies to."""
    if scope == Scope.EVENT:
        return Attendee.id == attendee.id
    mine = Attendee.person_id == attendee.person_id
    if scope == Scope.PERSON:
        return mine
    owner_id = db.session.scalar(select(Event.owner_id).where(Event.id == attendee.event_id))
    return mine & Attendee.event_id.in_(select(Event.id).where(Event.owner_id == owner_id))


def set_choices(attendee: Attendee, wanted: dict[Topic, bool], scope: Scope, actor: str) -> int:
    """Receive (True) or stop (False) each topic in `wanted` at `scope`; how many guest rows changed."""
    values = {topic.column: not receive for topic, receive in wanted.items()}
    result = db.session.execute(update(Attendee).where(_rows(attendee, scope)).values(**values)
                                .execution_options(synchronize_session="fetch"))
    audit.record("mail.preferences", actor=actor, target=f"attendee:{attendee.id}", event_id=attendee.event_id,
                 scope=scope.value, **{topic.value: receive for topic, receive in wanted.items()})
    return result.rowcount


def one_click(attendee_id: int, topic: Topic, scope: Scope | None = None) -> Attendee:
    """Stop `topic` for the guest of an unsubscribe token; NotFound if that guest was deleted.

    Without `scope`: this gathering, or for the digest every gathering of the person.
    """
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound("This unsubscribe link is for a guest who is no longer on any list: "
                       "nothing more will be sent to them.", "unsubscribe_gone")
    if scope is None:
        scope = Scope.PERSON if topic == Topic.DIGEST else Scope.EVENT
    set_choices(attendee, {topic: False}, scope, actor=f"unsubscribe:{attendee.id}")
    return attendee


def opt_out_counts(event_id: int) -> dict[Topic, int]:
    """Per topic, how many of the gathering's guests opted out (one query)."""
    row = db.session.execute(select(
        *(func.count().filter(getattr(Attendee, topic.column).is_(True)) for topic in Topic)
    ).where(Attendee.event_id == event_id)).one()
    return dict(zip(Topic, row))


def opted_out(attendee_ids: list[int], topic: Topic) -> set[int]:
    """Those of `attendee_ids` who stopped `topic` (one query)."""
    if not attendee_ids:
        return set()
    return set(db.session.scalars(select(Attendee.id).where(
        Attendee.id.in_(attendee_ids), getattr(Attendee, topic.column).is_(True))))
