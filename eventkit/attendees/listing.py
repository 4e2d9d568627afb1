"""The organiser's guest list: search, filters, sort and pages from the query string; bulk status changes.

`ListQuery.from_args` turns whatever is in the URL into a valid query (unknown values fall back to
the defaults, never a 500); `guest_page` runs it in three queries (rows, their count, intents).
`bulk_change_status` checks every selected guest before changing any (all or nothing).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import selectinload

from eventkit.attendees.models import HOLDS_PLACE, Attendee, AttendeeStatus
from eventkit.attendees.services import (
    ACTION_LABELS,
    ORGANISER_ACTIONS,
    lock_event,
    places_taken,
    promote_from_waitlist,
    set_status,
)
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.profiles.models import Intent
from eventkit.text import search_key

PER_PAGE = 50
#: sort key -> label and the ORDER BY
SORTS = {
    "added": "Added first", "-added": "Added last", "name": "Name A–Z", "-name": "Name Z–A",
    "status": "Status", "checked_in": "Checked in first",
}
READINESS = {"ready": "Ready", "not_ready": "Not ready"}
CHECKED = {"in": "Checked in", "out": "Not checked in"}
#: the actions that take a place away from a guest who holds one: they ask for confirmation
PLACE_TAKING = frozenset({"waitlist", "decline", "cancel"})


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    status: str = ""
    ready: str = ""
    checked: str = ""
    sort: str = "added"

    @classmethod
    def from_args(cls, args) -> ListQuery:
        def pick(name: str, allowed) -> str:
            value = args.get(name, "")
            return value if value in allowed else ""

        return cls(q=" ".join(args.get("q", "").split())[:120], status=pick("status", [str(s) for s in AttendeeStatus]),
                   ready=pick("ready", READINESS), checked=pick("checked", CHECKED),
                   sort=pick("sort", SORTS) or "added")

    @property
    def values(self) -> dict[str, str]:
        """The non-default values, for links (pager, sort) that keep the rest of the query."""
        return {key: value for key, value in asdict(self).items() if value and not (key == "sort" and value == "added")}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.ready or self.checked)


def _ready_clause():
    has_offer = exists().where(Intent.attendee_id == Attendee.id, Intent.kind == "offer")
    complete = (Attendee.role != "") & (Attendee.organisation != "") & (Attendee.field != "") & (Attendee.bio != "")
    return complete & has_offer


def _order(sort: str):
    return {
        "added": (Attendee.created_at, Attendee.id), "-added": (Attendee.created_at.desc(), Attendee.id.desc()),
        "name": (Attendee.name_key, Attendee.id), "-name": (Attendee.name_key.desc(), Attendee.id.desc()),
        "status": (Attendee.status, Attendee.name_key, Attendee.id),
        "checked_in": (Attendee.checked_in_at.is_(None), Attendee.checked_in_at, Attendee.name_key, Attendee.id),
    }[sort]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_statement(event_id: int, query: ListQuery):
    stmt = select(Attendee).where(Attendee.event_id == event_id)
    if query.q:
        stmt = stmt.where(or_(Attendee.name_key.like(_like(search_key(query.q)), escape="\\"),
                              Attendee.email.like(_like(query.q.lower()), escape="\\")))
    if query.status:
        stmt = stmt.where(Attendee.status == query.status)
    if query.ready:
        stmt = stmt.where(_ready_clause() if query.ready == "ready" else ~_ready_clause())
    if query.checked:
        stmt = stmt.where(Attendee.checked_in_at.is_not(None) if query.checked == "in" else Attendee.checked_in_at.is_(None))
    return stmt.options(selectinload(Attendee.intents)).order_by(*_order(query.sort))


def guest_page(event_id: int, query: ListQuery, page: int):
    """One page of the filtered, sorted guest list (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(list_statement(event_id, query), page=page, per_page=PER_PAGE, max_per_page=PER_PAGE,
                       error_out=False)


def confirm_question(action: str, name: str = "the selected guests") -> str | None:
    """The question asked before an action that can take a place away."""
    if action not in PLACE_TAKING:
        return None
    return f"{ACTION_LABELS[action]}: {name}? A guest who holds a place loses it; it is offered to the waitlist."


def bulk_change_status(event: Event, ids: list[int], action: str, *, actor: str, now: datetime) -> tuple[list[Attendee], list[Attendee]]:
    """Apply one organiser action to every selected guest, or to none: (changed guests, promoted from the waitlist)."""
    if action not in ORGANISER_ACTIONS:
        raise DomainError("Choose what to do with the selected guests.", "bad_action")
    if not ids:
        raise DomainError("Select at least one guest first.", "empty")
    new, allowed_from = ORGANISER_ACTIONS[action]
    event = lock_event(event.id)
    guests = list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id, Attendee.id.in_(sorted(set(ids))))
                                     .order_by(Attendee.name_key, Attendee.id)))
    if len(guests) != len(set(ids)):
        raise DomainError("Some selected guests are not on this guest list any more. Nothing was changed.", "unknown", 409)
    stuck = [guest for guest in guests if AttendeeStatus(guest.status) not in allowed_from]
    if stuck:
        names = ", ".join(f"{guest.name} ({guest.status})" for guest in stuck)
        raise DomainError(f"Cannot {ACTION_LABELS[action].lower()} {names}. Nothing was changed.", "bad_transition", 409)
    gaining = sum(1 for guest in guests if not guest.holds_place) if new in HOLDS_PLACE else 0
    if gaining and places_taken(event.id) + gaining > event.capacity:
        raise DomainError(f"Not enough places for {gaining} more guests: raise the capacity or select fewer. "
                          "Nothing was changed.", "full", 409)
    freed = new not in HOLDS_PLACE and any(guest.holds_place for guest in guests)
    for guest in guests:
        set_status(guest, new, actor=actor, now=now, reason="bulk")
    db.session.flush()
    promoted = promote_from_waitlist(event, actor=actor, now=now, skip=[g.id for g in guests]) if freed else []
    return guests, promoted
