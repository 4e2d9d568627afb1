"""What makes the door page installable and usable offline: its web app manifest and service worker.

The worker is one script for every door, served from the site root so that it may control
`/door/` (its scope; `Service-Worker-Allowed` says so explicitly). Each door's manifest sits under
its secret path (like the page it starts), so it opens only for a live door link.
"""
from __future__ import annotations

from flask import current_app, jsonify, send_from_directory, url_for

from eventkit.checkin import doors
from eventkit.checkin.blueprint import bp
from eventkit.security import secret_page

SCOPE = "/door/"


@bp.get("/door-sw.js")
def service_worker():
    """The door page's service worker (no secret in it; it caches only what a door page asked for)."""
    response = send_from_directory(current_app.static_folder, "door-sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Service-Worker-Allowed"] = SCOPE
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/door/<secret>/manifest.webmanifest")
def manifest(secret: str):
    """The web app manifest of one door: installs the door page, standalone, for that link only."""
    door = doors.door_for_secret(secret)
    page = url_for("checkin.door_page", secret=secret)
    response = jsonify({
        "name": f"Door · {door.title}", "short_name": door.label, "start_url": page, "scope": page,
        "id": page, "display": "standalone", "background_color": "#1f2430", "theme_color": "#1f2430",
        "icons": [{"src": url_for("static", filename=f"door-icon-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in (192, 512)],
    })
    response.mimetype = "application/manifest+json"
    return secret_page(response)
