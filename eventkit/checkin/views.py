"""Organiser pages for the door, the QR landing page and the panels' template globals."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.routing import BuildError

from eventkit import charts, secret_links
from eventkit.attendees.models import Attendee
from eventkit.checkin import doors, services
from eventkit.checkin.blueprint import bp
from eventkit.checkin.forms import DoorLinkForm
from eventkit.checkin.outcomes import FAILURE_LABELS
from eventkit.db import utcnow
from eventkit.errors import DomainError
from eventkit.events.access import get_managed_event_or_404
from eventkit.qr import checkin_url, qr_svg
from eventkit.security import SECRET_PAGE_HEADERS
from eventkit.urls import external_url_for

NEW_LINK_KEY = "checkin_new_door_link"


@bp.app_template_global()
def checkin_qr_svg(data: str) -> Markup:
    """An inline (vector) SVG QR code of `data`, without the XML declaration."""
    svg = qr_svg(data)
    return Markup(svg[svg.index("<svg"):])


@bp.app_template_global()
def checkin_guest_qr(attendee: Attendee) -> Markup:
    """The guest's own check-in QR code as inline SVG."""
    return checkin_qr_svg(checkin_url(attendee.checkin_code))


@bp.app_template_global()
def checkin_stats(event) -> dict:
    """Arrived / expected and the number of active door links, for the event page panel."""
    return {**doors.stats(event.id), "door_links": doors.active_link_count(event.id)}


@bp.app_template_global()
def checkin_arrivals_chart(event) -> charts.Chart | None:
    """Arrivals over time against expected, for the event page panel (None before anyone arrived)."""
    curve = doors.arrival_curve(event.id)
    if not curve.times:
        return None
    return charts.arrivals_chart(curve.times, curve.expected, curve.holding, event.timezone)


@bp.get("/events/<int:event_id>/door")
@login_required
def manage(event_id: int):
    """Door links, arrivals and failed scans of a gathering."""
    event = get_managed_event_or_404(event_id)
    return _render_manage(event, DoorLinkForm())


def _render_manage(event, form, status: int = 200):
    return render_template(
        "checkin/manage.html", event=event, form=form, new_link=secret_links.pop_new(NEW_LINK_KEY, event),
        links=doors.door_links(event.id), stats=doors.stats(event.id), arrivals=doors.arrivals(event.id),
        failures=doors.failed_scans(event.id),
        failure_reasons=FAILURE_LABELS, conflicts=doors.conflicts(event.id),
    ), status


@bp.post("/events/<int:event_id>/door/links")
@login_required
def create_link(event_id: int):
    """Create a door link and show its secret URL once."""
    event = get_managed_event_or_404(event_id)
    form = DoorLinkForm()
    if not form.validate_on_submit():
        return _render_manage(event, form, 422)
    try:
        link, secret = doors.create_door_link(event, form.label.data, current_user)
    except DomainError as error:
        form.label.errors.append(error.message)
        return _render_manage(event, form, error.status)
    secret_links.remember_new(NEW_LINK_KEY, link, external_url_for("checkin.door_page", secret=secret),
                              doors.AUDIT_PREFIX)
    return redirect(url_for("checkin.manage", event_id=event.id))


@bp.post("/events/<int:event_id>/door/links/<int:link_id>/revoke")
@login_required
def revoke_link(event_id: int, link_id: int):
    """Revoke a door link; phones using it are refused from the next request on."""
    event = get_managed_event_or_404(event_id)
    link = doors.revoke_door_link(event, link_id, current_user, utcnow())
    flash(f"Door link “{link.label}” revoked.", "success")
    return redirect(url_for("checkin.manage", event_id=event.id))


@bp.get("/c/<code>")
def landing(code: str):
    """Where a phone camera opens a guest's QR code: show it at the door; checks nobody in."""
    state, event = services.landing_state(code)
    status = 200 if state == "current" else 404
    html = render_template("checkin/landing.html", state=state, event=event,
                           qr=checkin_qr_svg(checkin_url(code)) if state == "current" else None)
    return html, status, {**SECRET_PAGE_HEADERS, "X-Robots-Tag": "noindex"}


@bp.app_template_global()
def checkin_back_url(event) -> str:
    """The organiser's event page (or the list of gatherings while no event page exists)."""
    try:
        return url_for("events.show", event_id=event.id)
    except BuildError:
        return url_for("events.index")
