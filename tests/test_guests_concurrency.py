"""Capacity holds when several organisers (or requests) add guests at the same moment."""
import threading

import pytest
from sqlalchemy import select

from eventkit.attendees import services
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.events.models import Event


@pytest.mark.slow
def test_parallel_adds_never_exceed_capacity(app, make_event):
    event = make_event(capacity=2)
    barrier = threading.Barrier(5)
    errors = []

    def add(i):
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                services.add_guest(db.session.get(Event, event.id),
                                   services.GuestData(name=f"G{i}", email=f"g{i}@example.com"),
                                   actor="organiser:1", now=utcnow())
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        statuses = sorted(db.session.scalars(select(Attendee.status)).all())
    assert statuses == ["invited", "invited", "waitlisted", "waitlisted", "waitlisted"]
