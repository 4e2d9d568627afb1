"""Signals that let one feature react to another's workflow without importing it.

Receivers run inside the sender's transaction; a receiver may raise `DomainError` to refuse.
"""
from blinker import Namespace

_signals = Namespace()

#: sent by the events service after a status change: sender=event, old=str, new=str, now=datetime
event_status_changed = _signals.signal("event-status-changed")

#: sent by the attendees service before a guest accepts an invitation: sender=attendee, now=datetime.
#: A receiver raises DomainError (with a message saying exactly why) to refuse the acceptance.
accepting_invitation = _signals.signal("accepting-invitation")

#: sent by the events service when an edit changes a gathering's capacity, before it is saved:
#: sender=event (already carrying the new capacity), old=int, new=int, actor=str, now=datetime.
#: A receiver raises DomainError to refuse the change (nothing is saved then).
capacity_changed = _signals.signal("capacity-changed")

#: sent by the events service just before a gathering is deleted: sender=event, actor=str.
#: The database cascades the gathering's own rows; receivers clean up what outlives it otherwise.
event_deleting = _signals.signal("event-deleting")

#: sent by the profiles services when a guest's own notes change or go (a note saved or deleted,
#: the profile deleted): sender=attendee (the author). Copies made for the guest alone (a briefing
#: attachment waiting in the outbox) are deleted, so the notes of the moment are what is sent.
guest_notes_changed = _signals.signal("guest-notes-changed")

#: sent by the mail sender when a receiving server refused a message for good (a 5xx reply):
#: sender=the OutboundEmail (its `to_email`, `event_id`), reason=str, now=datetime. Runs in the
#: transaction that records the failure; receivers mark the address as failing.
mail_bounced = _signals.signal("mail-bounced")

#: sent by the mail sender after a message was handed over: sender=the OutboundEmail, now=datetime.
#: Runs in the transaction that records it; receivers clear an earlier "address failing" mark.
mail_delivered = _signals.signal("mail-delivered")
