"""The emails of the guest list: invitations (with the personal link) and offered places.

Both carry the guest's personal link as a placeholder (`send_time_link`): the mail sender makes
a fresh link for each email as it sends it, so the outbox never holds a working one.
"""
from __future__ import annotations

from eventkit.attendees.links import PERSONAL, days_after, magic_url  # noqa: F401 - magic_url for the CLI and demo
from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.events.calendar import event_ics, ics_filename
from eventkit.mail.links import send_time_link
from eventkit.mail.models import OutboundEmail
from eventkit.mail.services import Attachment, queue_email
from eventkit.qr import checkin_url, qr_png
from eventkit.urls import external_url_for

#: the attachment producer that draws a guest's check-in QR code when their email is sent
CHECKIN_QR = "checkin_qr"


def _attachments(attendee: Attendee) -> tuple[Attachment, ...]:
    return (
        Attachment(ics_filename(attendee.event), "text/calendar", event_ics(attendee.event)),
        Attachment("check-in-qr.png", "image/png", qr_png(checkin_url(attendee.checkin_code))),
    )


def queue_invitation(attendee: Attendee, *, renewed: bool = False, requested: bool = False) -> OutboundEmail | None:
    """Queue the invitation with a personal link made when it is sent; one per link request.

    `renewed`: the organiser replaced the guest's links (the email says the old ones stopped);
    `requested`: the guest asked for a new link (their earlier links keep working).
    The wording fits the guest's status: invited, waitlisted, or already holding a confirmed place.
    """
    return queue_email(
        to_email=attendee.email,
        to_name=attendee.name,
        template="invitation",
        purpose="invitation",
        dedupe_key=f"invitation:{attendee.id}:{attendee.session_version}:{attendee.link_requested_at.isoformat()}",
        event_id=attendee.event_id,
        attachments=_attachments(attendee),
        event=attendee.event,
        attendee=attendee,
        link=send_time_link(PERSONAL, attendee.id),
        link_days=days_after(),
        waitlisted=attendee.status == AttendeeStatus.WAITLISTED,
        confirmed=attendee.is_expected,
        renewed=renewed,
        requested=requested,
    )


def queue_place_offered(attendee: Attendee) -> OutboundEmail | None:
    """Tell a guest promoted from the waitlist that a place is theirs if they accept (with a personal link)."""
    return queue_email(
        to_email=attendee.email,
        to_name=attendee.name,
        template="place_offered",
        purpose="place_offered",
        dedupe_key=f"place_offered:{attendee.id}:{attendee.status_changed_at.isoformat()}",
        event_id=attendee.event_id,
        event=attendee.event,
        attendee=attendee,
        page_url=send_time_link(PERSONAL, attendee.id),
        link_request_url=external_url_for("attendees.request_link", slug=attendee.event.slug),
    )
