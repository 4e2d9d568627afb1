"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from markupsafe import Markup, escape


def localtime(value: datetime | None, zone: str = "UTC", fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """Format an aware datetime in a time zone (the event's)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def nl2br(value: str | None) -> Markup:
    """Escape plain text and keep its line breaks."""
    lines = escape(value or "").split("\n")
    return Markup("<br>\n").join(lines)


def external_url(path: str) -> str:
    """An absolute URL on the public base URL (for emails, QR codes and calendar files)."""
    return current_app.config["BASE_URL"] + path


def register(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["nl2br"] = nl2br
    app.jinja_env.globals["external_url"] = external_url
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
