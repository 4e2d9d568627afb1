"""The reminder sweep (`flask eventkit remind`): set-based, idempotent, safe to run twice at once.

A fixed number of queries whatever the number of tasks: a few SELECTs find what is due, then every
reminder row and every outbox row is written in one INSERT ... ON CONFLICT DO NOTHING each. The dedupe
key of a message is unique in both tables, so two sweeps running together queue each message once.

Rules (all times UTC):
- due soon: once per task, when it falls due within the next 24 hours;
- overdue: once per task, in the first 7 days after it fell due;
- weekly digest: once per person per ISO week, to guests with at least one overdue task, listing
  every open task due within the next 7 days (of the gatherings where they did not stop the digest);
- organiser escalation: once per organiser (owner or co-organiser) per day, listing tasks of their
  gatherings overdue by a day or more (guests who unsubscribed from reminders included: they still
  count as overdue).
Guests who stopped reminders (or the digest: `eventkit.mail.preferences`) get none; connections
nobody acted on fade after the final deadline.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import String, cast, exists, literal, or_, select
from sqlalchemy.orm import aliased

from eventkit.attendees.models import Attendee
from eventkit.auth.models import Organiser
from eventkit.db import db, insert_ignore_many
from eventkit.events.models import Event, EventOrganiser
from eventkit.followup import links
from eventkit.followup.models import FollowUpReminder, FollowUpTask
from eventkit.followup.services import fade_stale
from eventkit.mail.links import send_time_link
from eventkit.mail import unsubscribe
from eventkit.mail.kinds import EmailKind, Topic
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.mail.services import one_line
from eventkit.urls import external_url_for

DUE_SOON = timedelta(hours=24)
OVERDUE_WINDOW = timedelta(days=7)
DIGEST_HORIZON = timedelta(days=7)
ESCALATE_AFTER = timedelta(hours=24)
ESCALATION_LIST_MAX = 50
DIGEST_LIST_MAX = 12

Owner = aliased(Attendee, name="owner")
Counterpart = aliased(Attendee, name="counterpart")


def render_fast(template: str, **context) -> tuple[str, str, str]:
    """The same (subject, text, html) as `mail.services.render_message`, straight from Jinja.

    Skips Flask's per-render context processors and signals, which dominate a sweep of thousands.
    """
    env = current_app.jinja_env
    module = env.get_template(f"mail/{template}.txt").make_module(context)
    subject = one_line(getattr(module, "subject", "")) or "A message from eventkit"
    html = env.get_template(f"mail/{template}.html").render(subject=subject, **context)
    return subject, str(module).strip() + "\n", html


@dataclass
class Outgoing:
    """Messages and reminder rows to write in one batch."""

    now: datetime
    emails: list[dict] = field(default_factory=list)
    reminders: list[dict] = field(default_factory=list)
    #: signs the one-click unsubscribe links of the run (eventkit.mail.unsubscribe)
    unsubscribe_signer: object = None

    def add(self, *, key: str, kind: str, to: tuple[str, str], template: str, event_id: int | None,
            task_id: int | None = None, tasks: int = 1, email_kind: EmailKind = EmailKind.NOTICE,
            unsubscribe_url: str = "", **context) -> None:
        subject, text, html = render_fast(template, to_name=to[1], unsubscribe_url=unsubscribe_url, **context)
        self.emails.append({
            "to_email": one_line(to[0]), "to_name": one_line(to[1]), "subject": subject[:250], "body_text": text,
            "body_html": html, "purpose": "followup", "dedupe_key": key, "event_id": event_id,
            "kind": email_kind.value, "reply_to": "", "unsubscribe_url": unsubscribe_url,
            "status": MailStatus.PENDING.value, "attempts": 0, "next_attempt_at": self.now, "last_error": "",
            "created_at": self.now,
        })
        self.reminders.append({"dedupe_key": key, "kind": kind, "task_id": task_id, "at": self.now, "tasks": tasks})

    def write(self) -> None:
        insert_ignore_many(FollowUpReminder, self.reminders, ["dedupe_key"])
        insert_ignore_many(OutboundEmail, self.emails, ["dedupe_key"])


def _task_rows(*conditions) -> list[tuple]:
    """Open tasks as (task, owner, counterpart, event) of plain values, in one query (no ORM loading)."""
    columns = {
        "task": (FollowUpTask.id, FollowUpTask.kind, FollowUpTask.due_at),
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
        task = SimpleNamespace(**dict(zip(("id", "kind", "due_at"), parts["task"])))
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
    """One one-click link per task (signed when the email is sent): record an action, or close as faded."""
    url = send_time_link(links.MAIL_PURPOSES["task"], owner.id, task.id)
    return {"act": url, "fade": url + "?do=fade"}


def unsubscribe_url(owner, topic: Topic, out: "Outgoing") -> str:
    """The one-click link that stops `topic` for this guest (no session, see eventkit.mail.unsubscribe)."""
    return unsubscribe.unsubscribe_url(owner.id, topic, out.now, out.unsubscribe_signer)


def _queue_task_reminders(out: Outgoing, kind: str, rows) -> None:
    for task, owner, counterpart, event in rows:
        out.add(key=f"followup:{kind}:task:{task.id}", kind=kind, to=(owner.email, owner.name),
                template="followup_task", event_id=event.id, task_id=task.id, reminder=kind, task=task,
                counterpart=counterpart, event=event, links=task_links(owner, event, task, out),
                page_url=external_url_for("followup.connections", slug=event.slug),
                email_kind=EmailKind.FOLLOWUP_REMINDER, unsubscribe_url=unsubscribe_url(owner, Topic.REMINDERS, out))


def _digest_key(now: datetime):
    year, week, _day = now.isocalendar()
    suffix = f":{year}-W{week:02d}"
    return suffix, literal("followup:digest:person:") + cast(Owner.person_id, String) + literal(suffix)


def _queue_digests(out: Outgoing) -> None:
    now = out.now
    suffix, key_sql = _digest_key(now)
    other_task, other_owner = aliased(FollowUpTask), aliased(Attendee)
    has_overdue = exists(
        select(other_task.id).join(other_owner, other_owner.id == other_task.owner_id)
        .where(other_owner.person_id == Owner.person_id, other_owner.digest_opt_out.is_(False),
               other_task.is_overdue(now))
        .correlate(Owner)
    )
    rows = _task_rows(FollowUpTask.due_at <= now + DIGEST_HORIZON, Owner.digest_opt_out.is_(False), has_overdue,
                      ~exists().where(FollowUpReminder.dedupe_key == key_sql))
    by_person = defaultdict(list)
    for row in rows:
        by_person[row[1].person_id].append(row)
    for person_id, items in by_person.items():
        _task, owner, _counterpart, event = items[0]
        entries = [{"task": t, "counterpart": c, "event": e, "links": task_links(o, e, t, out),
                    "overdue": t.due_at < now} for t, o, c, e in items[:DIGEST_LIST_MAX]]
        out.add(key=f"followup:digest:person:{person_id}{suffix}", kind="digest", to=(owner.email, owner.name),
                template="followup_digest", event_id=None, tasks=len(items), entries=entries, total=len(items), now=now,
                page_url=external_url_for("followup.connections", slug=event.slug), email_kind=EmailKind.DIGEST,
                unsubscribe_url=unsubscribe_url(owner, Topic.DIGEST, out))


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


def _queue_escalations(out: Outgoing) -> None:
    """Each organiser (owner or co-organiser) of a gathering with tasks overdue a day: one email a day."""
    now = out.now
    day = now.date().isoformat()
    not_escalated = lambda organiser: ~exists().where(FollowUpReminder.dedupe_key == _escalation_key(organiser, day))  # noqa: E731
    rows = _task_rows(FollowUpTask.due_at <= now - ESCALATE_AFTER, or_(
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
    for organiser_id, items in by_organiser.items():
        if keys[organiser_id] in done:
            continue
        organiser = organisers[organiser_id]
        per_event = defaultdict(int)
        for _t, _o, _c, event in items:
            per_event[(event.id, event.title)] += 1
        out.add(key=keys[organiser_id], kind="escalation", to=(organiser.email, organiser.name),
                template="followup_escalation", event_id=None, tasks=len(items), entries=items[:ESCALATION_LIST_MAX],
                total=len(items), per_event=per_event, now=now, email_kind=EmailKind.ESCALATION)


def sweep(now: datetime) -> dict:
    """Find and queue every reminder due at `now`; returns counts. The caller commits."""
    faded = fade_stale(now)
    out = Outgoing(now=now, unsubscribe_signer=unsubscribe.serializer_at(now))
    _queue_task_reminders(out, "due_soon", _task_rows(
        FollowUpTask.due_at > now, FollowUpTask.due_at <= now + DUE_SOON,
        Owner.reminders_opt_out.is_(False), _not_reminded("due_soon")))
    _queue_task_reminders(out, "overdue", _task_rows(
        FollowUpTask.due_at <= now, FollowUpTask.due_at > now - OVERDUE_WINDOW,
        Owner.reminders_opt_out.is_(False), _not_reminded("overdue")))
    _queue_digests(out)
    _queue_escalations(out)
    out.write()
    db.session.flush()
    kinds = defaultdict(int)
    for row in out.reminders:
        kinds[row["kind"]] += 1
    return {"faded": faded, "queued": len(out.emails), **kinds}
