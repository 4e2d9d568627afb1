"""The emails of the guest list: invitations (with the personal link) and offered places."""
from __future__ import annotations

from eventkit.events.calendar import event_ics, ics_filename
from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.mail.models import OutboundEmail
from eventkit.mail.services import Attachment, queue_email
from eventkit.qr import checkin_url, qr_png
from eventkit.urls import external_url_for


def magic_url(token: str) -> str:
    """The guest's personal link (absolute, for emails)."""
    return external_url_for("attendees.magic", token=token)


def _attachments(attendee: Attendee) -> tuple[Attachment, ...]:
    return (
        Attachment(ics_filename(attendee.event), "text/calendar", event_ics(attendee.event)),
        Attachment("check-in-qr.png", "image/png", qr_png(checkin_url(attendee.checkin_code))),
    )


def queue_invitation(attendee: Attendee, token: str, *, renewed: bool = False) -> OutboundEmail | None:
    """Queue the invitation carrying `token`'s link; a new token (rotation) makes a new message.

    `renewed`: the link replaces an earlier one (the email says so, and that the old one stopped).
    The wording fits the guest's status: invited, waitlisted, or already holding a confirmed place.
    """
    return queue_email(
        to_email=attendee.email,
        to_name=attendee.name,
        template="invitation",
        purpose="invitation",
        dedupe_key=f"invitation:{attendee.id}:{attendee.token_hash[:16]}",
        event_id=attendee.event_id,
        attachments=_attachments(attendee),
        event=attendee.event,
        attendee=attendee,
        link=magic_url(token),
        waitlisted=attendee.status == AttendeeStatus.WAITLISTED,
        confirmed=attendee.is_expected,
        renewed=renewed,
    )


def queue_place_offered(attendee: Attendee) -> OutboundEmail | None:
    """Tell a guest promoted from the waitlist that a place is theirs if they accept.

    The message links to the guest's page without a token (tokens are stored hashed): their
    invitation link still works, the page asks for it if this browser is not signed in, and a
    guest who lost it gets a new one at /e/<slug>/link.
    """
    return queue_email(
        to_email=attendee.email,
        to_name=attendee.name,
        template="place_offered",
        purpose="place_offered",
        dedupe_key=f"place_offered:{attendee.id}:{attendee.status_changed_at.isoformat()}",
        event_id=attendee.event_id,
        event=attendee.event,
        attendee=attendee,
        page_url=external_url_for("attendees.home", slug=attendee.event.slug),
        link_request_url=external_url_for("attendees.request_link", slug=attendee.event.slug),
    )
