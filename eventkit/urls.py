"""Absolute URLs for what leaves the site (emails, QR codes, calendar files), on EVENTKIT_BASE_URL.

Pages link with Flask's `url_for`; a URL read outside the browser's current page (an email, a QR
code, an .ics file, a command's output) must name the public address instead of whatever host a
request came in on, and must work in CLI commands, which have no request at all.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask, current_app
from werkzeug.routing import MapAdapter

#: what Flask's url_for leaves unquoted in an `_anchor`
ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def _adapter(app: Flask) -> MapAdapter:
    """A URL map adapter bound to the configured base URL (one per base URL, made on first use)."""
    base = app.config["BASE_URL"]
    adapters = app.extensions.setdefault("eventkit.urls", {})
    if base not in adapters:
        parts = urlsplit(base)
        adapters[base] = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapters[base]


def external_url_for(endpoint: str, /, *, _anchor: str | None = None, **values) -> str:
    """The absolute URL of `endpoint` on the public base URL, like `url_for(..., _external=True)`.

    Needs an app context only (no request); raises werkzeug's BuildError like `url_for` does.
    """
    app = current_app._get_current_object()
    app.inject_url_defaults(endpoint, values)
    url = _adapter(app).build(endpoint, values, force_external=True)
    return f"{url}#{quote(_anchor, safe=ANCHOR_SAFE)}" if _anchor else url
