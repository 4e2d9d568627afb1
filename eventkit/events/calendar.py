"""The gathering as an iCalendar (.ics) file, for guests' calendars and invitation attachments."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

import icalendar
from flask import current_app

from eventkit.db import utcnow
from eventkit.events.models import Event, EventStatus
from eventkit.urls import external_url_for

PRODID = "-//eventkit//gatherings//EN"


def event_uid(event: Event) -> str:
    """A stable UID, so a re-sent file updates the same calendar entry instead of adding one."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "eventkit.invalid"
    return f"event-{event.id}-{event.slug}@{host}"


def guest_page_url(event: Event) -> str:
    return external_url_for("attendees.home", slug=event.slug)


def ics_filename(event: Event) -> str:
    return f"{event.slug}.ics"


def event_ics(event: Event, now: datetime | None = None, url: str | None = None) -> bytes:
    """The .ics bytes for `event` (times in UTC, which every calendar converts to its own zone).

    `url` defaults to the guest page of the gathering.
    """
    now = (now or utcnow()).replace(microsecond=0)
    url = url or guest_page_url(event)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", event_uid(event))
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at.astimezone(timezone.utc))
    entry.add("dtend", event.ends_at.astimezone(timezone.utc))
    entry.add("summary", event.title)
    description = "\n\n".join(part for part in (event.theme, event.description, url) if part)
    if description:
        entry.add("description", description)
    if event.venue:
        entry.add("location", event.venue)
    if url:
        entry.add("url", url)
    entry.add("status", "CONFIRMED" if event.status != EventStatus.DRAFT else "TENTATIVE")
    calendar.add_component(entry)
    return calendar.to_ical()
