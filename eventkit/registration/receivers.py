"""Reactions to other features' workflows (see eventkit/signals.py)."""
from __future__ import annotations

from eventkit.registration import review
from eventkit.signals import accepting_invitation


@accepting_invitation.connect
def on_accepting_invitation(attendee, **_extra) -> None:
    """An applicant who withdrew or was declined cannot register by themselves: the organiser decides."""
    review.check_rejoin(attendee)
