"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

from eventkit import FEATURES, charts
from eventkit.events import lifecycle as lc
from eventkit.urls import external_url_for

#: the feature panels that lead the organiser's gathering page in each lifecycle phase (the rest fold away)
EVENT_PANEL_LEAD: dict[str, tuple[str, ...]] = {
    lc.SETUP: ("attendees", "registration", "profiles"),
    lc.INVITE: ("attendees", "registration", "profiles", "messages", "mail"),
    lc.PREPARE: ("profiles", "matching", "briefings", "messages", "attendees"),
    lc.DOOR: ("checkin", "live", "attendees", "matching"),
    lc.CONVERSATIONS: ("live", "matching", "checkin"),
    lc.FOLLOWUP: ("followup", "live", "messages", "matching", "mail"),
}
#: the guest page's panels in each of the guest's phases: these first, in this order, then the rest
GUEST_PANEL_LEAD: dict[str, tuple[str, ...]] = {
    lc.BEFORE: ("profiles", "matching", "briefings"),
    lc.DAY: ("checkin", "live", "matching", "briefings"),
    lc.AFTER: ("followup", "live", "matching"),
}
#: the name of a folded panel's summary, per feature (organiser page, guest page)
PANEL_NAMES = {"attendees": "Guests", "profiles": "Guest readiness", "checkin": "Check-in", "matching": "Conversations",
               "briefings": "Briefings and run-sheet", "followup": "Follow-up", "mail": "Emails", "jobs": "Jobs",
               "messages": "Messages", "registration": "Registration", "live": "On the day"}
GUEST_PANEL_NAMES = {"profiles": "My profile", "checkin": "My check-in code", "matching": "My conversations",
                     "briefings": "My printed briefing", "followup": "My connections", "mail": "My emails",
                     "live": "Now", "registration": "My registration"}


def localtime(value: datetime | None, zone: str = "UTC", fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """Format an aware datetime in a time zone (the event's)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def nl2br(value: str | None) -> Markup:
    """Escape plain text and keep its line breaks."""
    lines = escape(value or "").split("\n")
    return Markup("<br>\n").join(lines)


def feature_panels(app: Flask, page: str) -> list[str]:
    """Each feature's `<feature>/_<page>_panel.html`, in FEATURES order, for features that have one."""
    templates = set(app.jinja_env.list_templates())
    return [name for feature in FEATURES if (name := f"{feature}/_{page}_panel.html") in templates]


def panel_feature(name: str) -> str:
    """`attendees/_event_panel.html` -> `attendees`."""
    return name.split("/", 1)[0]


def order_panels(panels: list[str], lead: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The panels of the `lead` features in that order, and the others in FEATURES order."""
    by_feature = {panel_feature(name): name for name in panels}
    first = [by_feature[feature] for feature in lead if feature in by_feature]
    return first, [name for name in panels if name not in first]


def register(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["nl2br"] = nl2br
    app.jinja_env.globals["external_url_for"] = external_url_for
    #: pure functions from counts to a chart (templates/_chart.html draws it)
    app.jinja_env.globals["charts"] = charts
    #: the panels of the organiser's event page and of the guest's home page
    app.jinja_env.globals["event_panels"] = feature_panels(app, "event")
    app.jinja_env.globals["guest_panels"] = feature_panels(app, "guest")
    #: `order_panels(event_panels, event_panel_lead[phase])`: the panels that lead in a phase, then the rest
    app.jinja_env.globals.update(order_panels=order_panels, panel_feature=panel_feature,
                                 event_panel_lead=EVENT_PANEL_LEAD, guest_panel_lead=GUEST_PANEL_LEAD,
                                 panel_names=PANEL_NAMES, guest_panel_names=GUEST_PANEL_NAMES)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
