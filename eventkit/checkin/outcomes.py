"""The answers a door scanner shows: one JSON-ready dict per outcome, worded for the helper.

Every answer has `outcome` (welcome, already, not_on_list, cancelled, waitlisted, not_approved,
replaced, malformed, undone, not_checked_in), `ok` (true only when someone was let in now), `title` and `message` to show,
and `guest` ({id, name}) when the code belonged to one of this gathering's guests.
"""
from __future__ import annotations

from datetime import datetime

from eventkit.attendees.models import AttendeeStatus

#: the statuses no scan lets in, with the refusal each is answered
REFUSED_STATUSES = {
    AttendeeStatus.CANCELLED: "cancelled",
    AttendeeStatus.DECLINED: "cancelled",
    AttendeeStatus.WAITLISTED: "waitlisted",
    #: an application awaiting review is not on the guest list yet either
    AttendeeStatus.APPLIED: "not_approved",
}

#: failure reasons that show as another outcome on the door page
SHOWN_AS = {"other_event": "not_on_list", "too_long": "malformed"}
REFUSALS = {
    "not_on_list": ("Not on this guest list", "This code is not a guest of {event}. Try a name search."),
    "other_event": ("Not on this guest list", "This code is for another gathering, not {event}."),
    "cancelled": ("Cancelled", "{name} cancelled or declined their place. Ask the organiser."),
    "waitlisted": ("On the waiting list", "{name} is on the waiting list, not the guest list. Ask the organiser."),
    #: an application from the public page that the organiser has not reviewed: not a waiting-list place
    "not_approved": ("Not approved yet", "{name} applied but has not been approved yet: ask the organiser."),
    "replaced": ("Code replaced", "This code of {name} was replaced by a newer one: ask for the QR code "
                 "in the latest email, or search by name."),
    "malformed": ("Not a check-in code", "This QR code is not an eventkit check-in code."),
    "too_long": ("Not a check-in code", "This QR code holds far too much text to be a check-in code."),
}

#: the wording of the other answers; the offline door page gets all of them (`texts`) and fills in
#: the same placeholders, so a scan decided on the phone reads like one decided here
WELCOME = ("Welcome, {name}!", "Checked in at {time}.")
INVITED_NOTE = " They never confirmed their invitation; they now count as arrived."
ALREADY = ("Already checked in", "{name} was checked in at {time}{by}.")
BY_DOOR = " by {door}"
UNDONE = ("Check-in undone", "{name} is no longer checked in.")
NOT_CHECKED_IN = ("Not checked in", "{name} is not checked in.")
CONFLICT = ("Admitted twice", "{name} was already checked in at {time}{by}. This door let them in again at "
            "{again}: the organiser sees it as a conflict.")


def texts() -> dict:
    """Every title and message template, for the offline door page."""
    return {"refusals": {reason: list(pair) for reason, pair in REFUSALS.items()}, "shown_as": SHOWN_AS,
            "welcome": list(WELCOME), "invited_note": INVITED_NOTE, "already": list(ALREADY), "by_door": BY_DOOR,
            "undone": list(UNDONE), "not_checked_in": list(NOT_CHECKED_IN), "conflict": list(CONFLICT)}


def _guest(guest) -> dict | None:
    return {"id": guest.id, "name": guest.name} if guest is not None else None


def _clock(door, at: datetime) -> str:
    return door.local(at).strftime("%H:%M")


def welcome(door, guest, at: datetime) -> dict:
    title, message = WELCOME
    time = _clock(door, at)
    message = message.format(time=time)
    if guest.status == AttendeeStatus.INVITED:
        message += INVITED_NOTE
    return {"outcome": "welcome", "ok": True, "title": title.format(name=guest.name), "message": message,
            "guest": _guest(guest), "at": at.isoformat(), "time": time, "door": door.label}


def already(door, guest, at: datetime, label: str | None) -> dict:
    title, message = ALREADY
    by = BY_DOOR.format(door=label) if label else ""
    return {"outcome": "already", "ok": False, "title": title,
            "message": message.format(name=guest.name, time=_clock(door, at), by=by),
            "guest": _guest(guest), "at": at.isoformat(), "time": _clock(door, at), "door": label}


def conflict(door, guest, first_at: datetime, label: str | None, again: datetime) -> dict:
    """A guest this door admitted offline after another door had (the organiser sees the conflict)."""
    title, message = CONFLICT
    by = BY_DOOR.format(door=label) if label else ""
    return {"outcome": "already", "ok": False, "conflict": True, "title": title,
            "message": message.format(name=guest.name, time=_clock(door, first_at), by=by, again=_clock(door, again)),
            "guest": _guest(guest), "at": first_at.isoformat(), "time": _clock(door, first_at), "door": label}


def refused(door, reason: str, guest=None) -> dict:
    title, message = REFUSALS[reason]
    name = guest.name if guest is not None else ""
    return {"outcome": SHOWN_AS.get(reason, reason), "reason": reason, "ok": False, "title": title,
            "message": message.format(event=door.title, name=name), "guest": _guest(guest)}


def undone(guest) -> dict:
    title, message = UNDONE
    return {"outcome": "undone", "ok": True, "title": title, "message": message.format(name=guest.name),
            "guest": _guest(guest)}


def not_checked_in(guest) -> dict:
    """An undo (synced from an offline phone) of a guest who is not checked in."""
    title, message = NOT_CHECKED_IN
    return {"outcome": "not_checked_in", "ok": False, "title": title, "message": message.format(name=guest.name),
            "guest": _guest(guest)}


#: failed-scan reasons as the organiser reads them
FAILURE_LABELS = {
    "already": "scanned again (already in)",
    "not_on_list": "not on the guest list",
    "other_event": "code of another gathering",
    "replaced": "replaced code",
    "cancelled": "cancelled or declined",
    "waitlisted": "on the waiting list",
    "not_approved": "applied, not approved yet",
    "malformed": "not a check-in code",
    "too_long": "over-long code",
}
