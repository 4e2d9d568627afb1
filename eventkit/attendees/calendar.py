"""The gathering as an iCalendar file (RFC 5545), for invitations and the guest page."""
from __future__ import annotations

from datetime import timezone

from flask import current_app
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from eventkit.db import utcnow
from eventkit.events.models import Event


def event_uid(event: Event) -> str:
    """Stable per gathering, so calendar apps update the entry instead of adding a second one."""
    host = current_app.config["BASE_URL"].split("://", 1)[-1].split("/", 1)[0] or "eventkit"
    return f"event-{event.id}-{event.slug}@{host}"


def event_ics(event: Event) -> bytes:
    """One VEVENT with start and end in UTC, summary, location, description and the gathering's URL."""
    calendar = Calendar()
    calendar.add("prodid", "-//eventkit//gatherings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", event_uid(event))
    entry.add("dtstamp", utcnow().replace(microsecond=0))
    entry.add("dtstart", event.starts_at.astimezone(timezone.utc))
    entry.add("dtend", event.ends_at.astimezone(timezone.utc))
    entry.add("summary", event.title)
    if event.venue:
        entry.add("location", event.venue)
    description = "\n\n".join(part for part in (event.theme, event.description) if part)
    if description:
        entry.add("description", description)
    entry.add("url", f"{current_app.config['BASE_URL']}/e/{event.slug}/me")
    calendar.add_component(entry)
    return calendar.to_ical()


def ics_filename(event: Event) -> str:
    return f"{event.slug}.ics"
