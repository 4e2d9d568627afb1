"""The reminder sweep (`flask eventkit remind`): set-based, idempotent, safe to run twice at once.

A fixed number of queries whatever the number of tasks: a few SELECTs find what is due and every
message is rendered (`mail.services.render_batch`: recipient checks, one cached renderer), reading
only; then every reminder row is written in one INSERT ... ON CONFLICT DO NOTHING and the messages
in one more (`mail.services.store_batch`). The dedupe key of a message is unique in both tables, so
two sweeps running together queue each message once.

Rules (all times UTC):
- due soon: once per task, when it falls due within the next 24 hours;
- overdue: once per task, in the first 7 days after it fell due;
- snoozed: a snoozed task comes back once on its snooze date ("resurfaced"), and no other mail to
  its guest is about it (no due-soon, overdue or digest line); while snoozed it is neither overdue
  nor done and escalations skip it; once back and still open a day later, escalations list it;
- stay in touch: a deepened connection's check-in gets one reminder when it falls due and then
  moves on by the owner's rhythm; never an overdue mail, a digest line or an escalation;
- weekly digest: once per person and organiser per ISO week, to guests with at least one overdue
  task at that organiser's gatherings, listing every open task there due within the next 7 days;
- organiser escalation: once per organiser (owner or co-organiser) per day, listing tasks of their
  gatherings overdue by a day or more (guests who unsubscribed from reminders included: they still
  count as overdue), and how many of their gatherings' emails failed.
Guests who stopped reminders (or the digest: `eventkit.mail.preferences`) get none of them.
Connections nobody acted on fade after the final deadline;
connections that had follow-up and then no action for the final interval become dormant (no mail).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import String, cast, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from eventkit.attendees.models import Attendee
from eventkit.auth.models import Organiser
from eventkit.db import db, insert_ignore_many, reading
from eventkit.events.models import Event, EventOrganiser
from eventkit.followup import links
from eventkit.followup.models import FollowUpReminder, FollowUpTask, TaskKind
from eventkit.followup.rhythm import SNOOZES, go_dormant, roll_stay_tasks
from eventkit.followup.services import fade_stale
from eventkit.mail import unsubscribe
from eventkit.mail.kinds import EmailKind
from eventkit.mail.links import send_time_link
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.mail.services import Message, Rendered, Renderer, render_batch, store_batch
from eventkit.urls import external_url_for

PURPOSE = "followup"
DUE_SOON = timedelta(hours=24)
OVERDUE_WINDOW = timedelta(days=7)
DIGEST_HORIZON = timedelta(days=7)
ESCALATE_AFTER = timedelta(hours=24)
ESCALATION_LIST_MAX = 50
DIGEST_LIST_MAX = 12

Owner = aliased(Attendee, name="owner")
Counterpart = aliased(Attendee, name="counterpart")
#: tasks that get due-soon, overdue and digest mail: not stay-in-touch check-ins, never snoozed (those get "resurfaced")
NEVER_SNOOZED = (FollowUpTask.kind != TaskKind.STAY, FollowUpTask.snoozes == 0)


def can_be_overdue(task, now: datetime) -> tuple:
    """SQL: `task` (FollowUpTask or an alias) can count as overdue: not a stay-in-touch check-in, not snoozed now."""
    return task.kind != TaskKind.STAY, or_(task.snoozed_until.is_(None), task.snoozed_until <= now)


@dataclass
class Outgoing:
    """Messages and reminder rows to write in one batch."""

    now: datetime
    messages: list[Message] = field(default_factory=list)
    reminders: list[dict] = field(default_factory=list)
    #: signs the one-click unsubscribe links of the run (eventkit.mail.unsubscribe)
    unsubscribe_signer: object = None
    #: stay-in-touch check-ins reminded in this batch, to move on by their rhythm when it is written
    stays: list[tuple] = field(default_factory=list)

    def add(self, *, key: str, kind: str, to: tuple[str, str], template: str, event_id: int | None,
            task_id: int | None = None, tasks: int = 1, email_kind: EmailKind = EmailKind.NOTICE,
            recipient_id: int | None = None, **context) -> None:
        """Queue a message; a kind its recipient can stop needs `recipient_id` (their unsubscribe link)."""
        self.messages.append(Message(to[0], to[1], key, template, PURPOSE, f"{PURPOSE}_{kind}", event_id, context,
                                     (), email_kind, recipient_id))
        self.reminders.append({"dedupe_key": key, "kind": kind, "task_id": task_id, "at": self.now, "tasks": tasks})

    def render(self) -> Rendered:
        """Every message rendered, reading only (recipient checks, one cached renderer)."""
        return render_batch(self.messages, self.now, Renderer(), self.unsubscribe_signer)

    def write(self, rendered: Rendered) -> int:
        """Write the reminder rows, the rendered messages and the stay-in-touch moves; how many emails were queued."""
        insert_ignore_many(FollowUpReminder.__table__, self.reminders, ["dedupe_key"])
        roll_stay_tasks(self.stays, self.now)
        return store_batch(rendered).queued


def _task_rows(*conditions) -> list[tuple]:
    """Open tasks as (task, owner, counterpart, event) of plain values, in one query (no ORM loading)."""
    columns = {
        "task": (FollowUpTask.id, FollowUpTask.kind, FollowUpTask.due_at, FollowUpTask.snoozes,
                 FollowUpTask.connection_id),
        "owner": (Owner.id, Owner.person_id, Owner.name, Owner.email, Owner.reminders_opt_out),
        "counterpart": (Counterpart.name, Counterpart.organisation),
        "event": (Event.id, Event.slug, Event.title, Event.timezone, Event.owner_id),
    }
    rows = db.session.execute(
        select(*(column for group in columns.values() for column in group))
        .join(Owner, Owner.id == FollowUpTask.owner_id)
        .join(Counterpart, Counterpart.id == FollowUpTask.counterpart_id)
        .join(Event, Event.id == FollowUpTask.event_id)
        .where(FollowUpTask.done_at.is_(None), *conditions)
        .order_by(FollowUpTask.due_at, FollowUpTask.id)
    ).all()
    events: dict[int, SimpleNamespace] = {}
    result = []
    for row in rows:
        values = iter(row)
        parts = {group: [next(values) for _ in cols] for group, cols in columns.items()}
        task = SimpleNamespace(**dict(zip(("id", "kind", "due_at", "snoozes", "connection_id"), parts["task"])))
        owner = SimpleNamespace(**dict(zip(("id", "person_id", "name", "email", "reminders_opt_out"),
                                           parts["owner"])))
        counterpart = SimpleNamespace(**dict(zip(("name", "organisation"), parts["counterpart"])))
        event_id = parts["event"][0]
        if event_id not in events:
            events[event_id] = SimpleNamespace(**dict(zip(("id", "slug", "title", "timezone", "owner_id"), parts["event"])))
        result.append((task, owner, counterpart, events[event_id]))
    return result


def _not_reminded(kind: str):
    return ~exists().where(FollowUpReminder.task_id == FollowUpTask.id, FollowUpReminder.kind == kind)


def task_links(owner, event, task, out: "Outgoing") -> dict:
    """One one-click link per task (signed when the email is sent): the landing page offers recording an
    action, snoozing or closing as faded.

    Every personal link of a reminder is made here, so how links get into emails can change in one place.
    """
    url = send_time_link(links.MAIL_PURPOSES["task"], owner.id, task.id)
    return {"act": url, "fade": url + "?do=fade", **{f"snooze_{name}": f"{url}?do=snooze&for={name}" for name in SNOOZES},
            "snooze": url + "?do=snooze"}


def _queue_task_reminders(out: Outgoing, kind: str, rows, key_suffix=lambda task: "") -> None:
    for task, owner, counterpart, event in rows:
        out.add(key=f"followup:{kind}:task:{task.id}{key_suffix(task)}", kind=kind, to=(owner.email, owner.name),
                template="followup_task", event_id=event.id, task_id=task.id, reminder=kind, task=task,
                counterpart=counterpart, event=event, links=task_links(owner, event, task, out),
                page_url=external_url_for("followup.connections", slug=event.slug),
                email_kind=EmailKind.FOLLOWUP_REMINDER, recipient_id=owner.id)


def _resurfaced_key():
    """The dedupe key of a snoozed task's return, per snooze (SQL), so each snooze comes back once."""
    return (literal("followup:resurfaced:task:") + cast(FollowUpTask.id, String) + literal(":")
            + cast(FollowUpTask.snoozes, String))


def _queue_due(out: Outgoing) -> None:
    """Due soon, overdue, resurfaced snoozes and stay-in-touch check-ins: one query each."""
    now = out.now
    reachable = Owner.reminders_opt_out.is_(False)
    _queue_task_reminders(out, "due_soon", _task_rows(
        FollowUpTask.due_at > now, FollowUpTask.due_at <= now + DUE_SOON, *NEVER_SNOOZED, reachable,
        _not_reminded("due_soon")))
    _queue_task_reminders(out, "overdue", _task_rows(
        FollowUpTask.due_at <= now, FollowUpTask.due_at > now - OVERDUE_WINDOW, *NEVER_SNOOZED, reachable,
        _not_reminded("overdue")))
    _queue_task_reminders(out, "resurfaced", _task_rows(
        FollowUpTask.snoozes > 0, FollowUpTask.due_at <= now, FollowUpTask.due_at > now - OVERDUE_WINDOW, reachable,
        ~exists().where(FollowUpReminder.dedupe_key == _resurfaced_key())), key_suffix=lambda task: f":{task.snoozes}")
    stays = _task_rows(FollowUpTask.kind == TaskKind.STAY, FollowUpTask.due_at <= now, reachable)
    _queue_task_reminders(out, "stay", stays, key_suffix=lambda task: f":{task.due_at:%Y%m%d}")
    out.stays = [(task.id, task.connection_id, owner.person_id, task.due_at) for task, owner, _c, _e in stays]


def _digest_key(now: datetime):
    year, week, _day = now.isocalendar()
    suffix = f":{year}-W{week:02d}"
    return suffix, (literal("followup:digest:person:") + cast(Owner.person_id, String) + literal(":organiser:")
                    + cast(Event.owner_id, String) + literal(suffix))


def _queue_digests(out: Outgoing) -> None:
    now = out.now
    suffix, key_sql = _digest_key(now)
    other_task, other_owner, other_event = aliased(FollowUpTask), aliased(Attendee), aliased(Event)
    has_overdue = exists(
        select(other_task.id).join(other_owner, other_owner.id == other_task.owner_id)
        .join(other_event, other_event.id == other_task.event_id)
        .where(other_owner.person_id == Owner.person_id, other_owner.digest_opt_out.is_(False),
               other_event.owner_id == Event.owner_id, other_task.done_at.is_(None), other_task.due_at < now,
               other_task.kind != TaskKind.STAY, other_task.snoozes == 0)
        .correlate(Owner, Event)
    )
    rows = _task_rows(FollowUpTask.due_at <= now + DIGEST_HORIZON, *NEVER_SNOOZED, Owner.digest_opt_out.is_(False),
                      has_overdue, ~exists().where(FollowUpReminder.dedupe_key == key_sql))
    by_person = defaultdict(list)
    for row in rows:
        by_person[(row[1].person_id, row[3].owner_id)].append(row)
    for (person_id, organiser_id), items in by_person.items():
        _task, owner, _counterpart, event = items[0]
        entries = [{"task": t, "counterpart": c, "event": e, "links": task_links(o, e, t, out),
                    "overdue": t.due_at < now} for t, o, c, e in items[:DIGEST_LIST_MAX]]
        out.add(key=f"followup:digest:person:{person_id}:organiser:{organiser_id}{suffix}", kind="digest",
                to=(owner.email, owner.name), template="followup_digest", event_id=event.id, tasks=len(items),
                entries=entries, total=len(items), now=now, page_url=external_url_for("followup.connections", slug=event.slug),
                email_kind=EmailKind.DIGEST, recipient_id=owner.id)


def _escalation_key(organiser, day: str):
    """The dedupe key of an organiser's escalation of `day` (a column expression or an id)."""
    if isinstance(organiser, int):
        return f"followup:escalation:organiser:{organiser}:{day}"
    return literal("followup:escalation:organiser:") + cast(organiser, String) + literal(f":{day}")


def _escalation_teams(rows: list[tuple]) -> dict[int, set[int]]:
    """Per gathering in `rows`: its owner and co-organisers (one query)."""
    teams = defaultdict(set)
    for _t, _o, _c, event in rows:
        teams[event.id].add(event.owner_id)
    co_organisers = select(EventOrganiser.event_id, EventOrganiser.organiser_id).where(
        EventOrganiser.event_id.in_(list(teams)))
    for event_id, organiser_id in db.session.execute(co_organisers):
        teams[event_id].add(organiser_id)
    return teams


def _failed_mail(event_ids: list[int]) -> dict[int, int]:
    """How many emails of each gathering failed for good (one query)."""
    return dict(db.session.execute(
        select(OutboundEmail.event_id, func.count()).where(OutboundEmail.event_id.in_(event_ids),
                                                          OutboundEmail.status == MailStatus.FAILED)
        .group_by(OutboundEmail.event_id)).all())


def _queue_escalations(out: Outgoing) -> None:
    """Each organiser (owner or co-organiser) of a gathering with tasks overdue a day: one email a day."""
    now = out.now
    day = now.date().isoformat()
    not_escalated = lambda organiser: ~exists().where(FollowUpReminder.dedupe_key == _escalation_key(organiser, day))  # noqa: E731
    rows = _task_rows(FollowUpTask.due_at <= now - ESCALATE_AFTER, *can_be_overdue(FollowUpTask, now), or_(
        not_escalated(Event.owner_id),
        exists().where(EventOrganiser.event_id == Event.id, not_escalated(EventOrganiser.organiser_id))))
    by_organiser = defaultdict(list)
    teams = _escalation_teams(rows)
    for row in rows:
        for organiser_id in teams[row[3].id]:
            by_organiser[organiser_id].append(row)
    keys = {organiser_id: _escalation_key(organiser_id, day) for organiser_id in by_organiser}
    done = set(db.session.scalars(select(FollowUpReminder.dedupe_key).where(FollowUpReminder.dedupe_key.in_(keys.values()))))
    organisers = {o.id: o for o in db.session.scalars(select(Organiser).where(Organiser.id.in_(list(by_organiser))))}
    failed = _failed_mail(list(teams))
    for organiser_id, items in by_organiser.items():
        if keys[organiser_id] in done:
            continue
        organiser = organisers[organiser_id]
        per_event = defaultdict(int)
        for _t, _o, _c, event in items:
            per_event[(event.id, event.title)] += 1
        failed_per_event = {key: failed[key[0]] for key in per_event if failed.get(key[0])}
        out.add(key=keys[organiser_id], kind="escalation", to=(organiser.email, organiser.name),
                template="followup_escalation", event_id=None, tasks=len(items), entries=items[:ESCALATION_LIST_MAX],
                total=len(items), per_event=per_event, failed=failed_per_event, now=now, email_kind=EmailKind.ESCALATION)


def sweep(now: datetime) -> dict:
    """Find and queue every reminder due at `now`; returns counts.

    Fades and puts to sleep what is due first (committed), then finds and renders every reminder in
    a read-only transaction (161 emails took 110 ms in-process, longer under load: on SQLite that
    must not hold the write lock the door's check-ins need), and writes them in the caller's transaction (the
    caller commits), as the message sweep does. Runs its own transactions: call it with nothing
    unsaved, never inside a request. A guest who acts while the sweep renders may still get the
    reminder rendered for them; two sweeps both render, and the dedupe keys queue each email once.
    """
    faded = fade_stale(now)
    dormant = go_dormant(now)
    db.session.commit()
    with reading():
        out = Outgoing(now=now, unsubscribe_signer=unsubscribe.serializer_at(now))
        _queue_due(out)
        _queue_digests(out)
        _queue_escalations(out)
        rendered = out.render()
    queued = out.write(rendered)
    db.session.flush()
    kinds = defaultdict(int)
    for row in out.reminders:
        kinds[row["kind"]] += 1
    return {"faded": faded, "dormant": dormant, "queued": queued, **kinds}
