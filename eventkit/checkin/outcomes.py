"""The answers a door scanner shows: one JSON-ready dict per outcome, worded for the helper.

Every answer has `outcome` (welcome, already, not_on_list, cancelled, waitlisted, replaced,
malformed, undone), `ok` (true only when someone was let in now), `title` and `message` to show,
and `guest` ({id, name}) when the code belonged to one of this gathering's guests.
"""
from __future__ import annotations

from datetime import datetime

from eventkit.attendees.models import AttendeeStatus

#: failure reasons that show as another outcome on the door page
SHOWN_AS = {"other_event": "not_on_list", "too_long": "malformed"}
REFUSALS = {
    "not_on_list": ("Not on this guest list", "This code is not a guest of {event}. Try a name search."),
    "other_event": ("Not on this guest list", "This code is for another gathering, not {event}."),
    "cancelled": ("Cancelled", "{name} cancelled or declined their place. Ask the organiser."),
    "waitlisted": ("On the waiting list", "{name} is on the waiting list, not the guest list. Ask the organiser."),
    "replaced": ("Code replaced", "This code of {name} was replaced by a newer one: ask for the QR code "
                 "in the latest email, or search by name."),
    "malformed": ("Not a check-in code", "This QR code is not an eventkit check-in code."),
    "too_long": ("Not a check-in code", "This QR code holds far too much text to be a check-in code."),
}


def _guest(guest) -> dict | None:
    return {"id": guest.id, "name": guest.name} if guest is not None else None


def _clock(door, at: datetime) -> str:
    return door.local(at).strftime("%H:%M")


def welcome(door, guest, at: datetime) -> dict:
    message = f"Checked in at {_clock(door, at)}."
    if guest.status == AttendeeStatus.INVITED:
        message += " They never confirmed their invitation; they now count as arrived."
    return {"outcome": "welcome", "ok": True, "title": f"Welcome, {guest.name}!", "message": message,
            "guest": _guest(guest), "at": at.isoformat(), "time": _clock(door, at), "door": door.label}


def already(door, guest, at: datetime, label: str | None) -> dict:
    by = f" by {label}" if label else ""
    return {"outcome": "already", "ok": False, "title": "Already checked in",
            "message": f"{guest.name} was checked in at {_clock(door, at)}{by}.",
            "guest": _guest(guest), "at": at.isoformat(), "time": _clock(door, at), "door": label}


def refused(door, reason: str, guest=None) -> dict:
    title, message = REFUSALS[reason]
    name = guest.name if guest is not None else ""
    return {"outcome": SHOWN_AS.get(reason, reason), "reason": reason, "ok": False, "title": title,
            "message": message.format(event=door.title, name=name), "guest": _guest(guest)}


def undone(guest) -> dict:
    return {"outcome": "undone", "ok": True, "title": "Check-in undone",
            "message": f"{guest.name} is no longer checked in.", "guest": _guest(guest)}

#: failed-scan reasons as the organiser reads them
FAILURE_LABELS = {
    "already": "scanned again (already in)",
    "not_on_list": "not on the guest list",
    "other_event": "code of another gathering",
    "replaced": "replaced code",
    "cancelled": "cancelled or declined",
    "waitlisted": "on the waiting list",
    "malformed": "not a check-in code",
    "too_long": "over-long code",
}
