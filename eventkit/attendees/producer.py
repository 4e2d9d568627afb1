"""The "checkin_qr" attachment producer: a guest's check-in QR code (PNG), drawn when the email is sent.

Imported invitations carry it instead of the bytes (drawing a QR code takes about 50 ms: too slow
for thousands in one request). The code drawn is the guest's code at send time.
"""
from __future__ import annotations

from sqlalchemy import select

from eventkit.attendees.blueprint import bp
from eventkit.attendees.invitations import CHECKIN_QR
from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.mail.producers import ProduceError, Producer, register_producer
from eventkit.qr import checkin_url, qr_png


def prepare(requests: list[dict]) -> list[str | ProduceError]:
    """The QR text of each request's guest (one query), or why there is none."""
    ids = {args.get("attendee_id") for args in requests if isinstance(args.get("attendee_id"), int)}
    seeds = dict(db.session.execute(select(Attendee.id, Attendee.checkin_seed).where(Attendee.id.in_(ids))).all())
    urls: list[str | ProduceError] = []
    for args in requests:
        seed = seeds.get(args.get("attendee_id"))
        if seed is None:
            urls.append(ProduceError("The guest of this check-in code was removed from the list."))
            continue
        urls.append(checkin_url(Attendee.code_for_seed(seed)))
    return urls


def make(work: list[str | ProduceError], _seconds: float) -> list[bytes | ProduceError]:
    return [item if isinstance(item, ProduceError) else qr_png(item) for item in work]


@bp.record_once
def _register(state) -> None:
    """The mail sender makes "checkin_qr" attachments with this producer."""
    register_producer(state.app, CHECKIN_QR, Producer(prepare=prepare, make=make))
