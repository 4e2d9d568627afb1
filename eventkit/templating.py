"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

from eventkit import FEATURES, charts
from eventkit.urls import external_url_for


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


def register(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["nl2br"] = nl2br
    app.jinja_env.globals["external_url_for"] = external_url_for
    #: pure functions from counts to a chart (templates/_chart.html draws it)
    app.jinja_env.globals["charts"] = charts
    #: the panels of the organiser's event page and of the guest's home page
    app.jinja_env.globals["event_panels"] = feature_panels(app, "event")
    app.jinja_env.globals["guest_panels"] = feature_panels(app, "guest")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
