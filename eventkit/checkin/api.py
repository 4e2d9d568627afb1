"""The door page and its JSON API (/api/door/<secret>/...), authorised by the door link's secret.

No account and no CSRF cookie: the secret in the path is the credential, and the JSON body is
validated strictly (known keys and types only, at most MAX_BODY bytes).
"""
from __future__ import annotations

from flask import abort, jsonify, make_response, render_template, request, url_for

from eventkit.checkin import doors, services, sync
from eventkit.checkin.blueprint import bp
from eventkit.checkin.offline import SCOPE as SW_SCOPE
from eventkit.db import utcnow
from eventkit.errors import DomainError
from eventkit.extensions import csrf
from eventkit.security import secret_page
from eventkit.web import door_permissions

MAX_BODY = 2048
#: a sync batch of sync.MAX_ITEMS scans of over-long codes fits
MAX_SYNC_BODY = 256 * 1024
SCAN_FIELDS = {"code": str, "nonce": str}
GUEST_FIELDS = {"attendee_id": int, "nonce": str}
UNDO_FIELDS = {"attendee_id": int}
SYNC_FIELDS = {"actions": list}


def json_body(fields: dict[str, type], limit: int = MAX_BODY) -> dict:
    """The request's JSON object with exactly `fields` of the right types, or a 4xx JSON error."""
    length = request.content_length
    if length is None:
        abort(411, "Send a Content-Length header.")
    if length > limit:
        abort(413, f"The request body is limited to {limit} bytes.")
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or set(data) != set(fields):
        raise DomainError(f"Send a JSON object with exactly these keys: {', '.join(fields)}.", "bad_request")
    for key, kind in fields.items():
        if type(data[key]) is not kind:  # bool is not an int here
            raise DomainError(f"'{key}' must be a {kind.__name__}.", "bad_request")
    return data



@bp.get("/door/<secret>")
@door_permissions
def door_page(secret: str):
    """The volunteer's scanner page: camera, name search, undo and the live count."""
    try:
        door = doors.door_for_secret(secret)
    except DomainError as error:
        html = render_template("checkin/door_closed.html", message=error.message)
        return secret_page(make_response(html, error.status))
    api_base = url_for("checkin.api_stats", secret=secret).rsplit("/", 1)[0]
    html = render_template("checkin/door.html", door=door, api_base=api_base, stats=doors.stats(door.event_id),
                           manifest_url=url_for("checkin.manifest", secret=secret), sw_scope=SW_SCOPE)
    return secret_page(make_response(html))


@bp.post("/api/door/<secret>/scan")
@csrf.exempt
def api_scan(secret: str):
    """Check in the guest whose scanned code (or check-in URL) is in the body."""
    door = doors.door_for_secret(secret, cached=True)
    data = json_body(SCAN_FIELDS)
    return secret_page(jsonify(services.scan(door, data["code"], data["nonce"], utcnow())))


@bp.post("/api/door/<secret>/checkin")
@csrf.exempt
def api_check_in(secret: str):
    """Check in a guest picked from a name search."""
    door = doors.door_for_secret(secret)
    data = json_body(GUEST_FIELDS)
    return secret_page(jsonify(services.check_in_guest(door, data["attendee_id"], data["nonce"], utcnow())))


@bp.post("/api/door/<secret>/undo")
@csrf.exempt
def api_undo(secret: str):
    """Take back a mistaken check-in."""
    door = doors.door_for_secret(secret)
    data = json_body(UNDO_FIELDS)
    return secret_page(jsonify(services.undo(door, data["attendee_id"], utcnow())))


@bp.post("/api/door/<secret>/sync")
@csrf.exempt
def api_sync(secret: str):
    """Apply the actions an offline phone queued, in scan-time order, each once per nonce."""
    door = doors.door_for_secret(secret)
    data = json_body(SYNC_FIELDS, MAX_SYNC_BODY)
    return secret_page(jsonify(sync.sync(door, data["actions"], utcnow())))


@bp.get("/api/door/<secret>/dataset")
def api_dataset(secret: str):
    """What the door page needs to decide scans offline (verifiers, never codes)."""
    door = doors.door_for_secret(secret)
    return secret_page(jsonify(sync.dataset(door, utcnow())))


@bp.get("/api/door/<secret>/search")
def api_search(secret: str):
    """Guests whose name contains ?q= (three letters at least)."""
    door = doors.door_for_secret(secret)
    query = request.args.get("q", "")[:100]
    return secret_page(jsonify(results=doors.search(door.event_id, query, door.zone)))


@bp.get("/api/door/<secret>/stats")
def api_stats(secret: str):
    """Arrived and expected guests, for the live count."""
    door = doors.door_for_secret(secret)
    return secret_page(jsonify(doors.stats(door.event_id)))
