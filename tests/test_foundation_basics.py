"""The app factory, the database plumbing and the guest session basics."""
from datetime import datetime

import pytest
from sqlalchemy import select, text

from eventkit.attendees.access import attendee_for_token
from eventkit.attendees.models import Attendee
from eventkit.db import db, in_transaction, utcnow
from eventkit.security import hash_token


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_in_transaction_says_whether_the_session_began_without_creating_one(app, event):
    with app.app_context():
        assert in_transaction() is False
        assert not db.session.registry.has()  # asking created no session
        db.session.execute(select(Attendee.id)).all()
        assert in_transaction() is True
        db.session.commit()
        assert in_transaction() is False


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Traceback" not in response.data
    assert b"Back to the start" in response.data


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_datetimes_come_back_aware_utc(app, event):
    with app.app_context():
        stored = db.session.get(type(event), event.id)
        assert stored.starts_at.tzinfo is not None
        assert stored.starts_at == event.starts_at
        assert stored.created_at <= utcnow()


def test_naive_datetimes_are_refused(app, event):
    with app.app_context():
        stored = db.session.get(type(event), event.id)
        stored.starts_at = datetime(2030, 1, 1, 18, 0)
        with pytest.raises(Exception, match="naive"):
            db.session.flush()
        db.session.rollback()


def test_magic_token_is_stored_hashed_and_rotation_retires_it(app, event, make_attendee):
    guest = make_attendee(event)
    with app.app_context():
        row = db.session.get(Attendee, guest.id)
        [link] = row.guest_links
        assert link.token_hash == hash_token(guest.token) and guest.token not in link.token_hash
        assert attendee_for_token(guest.token).id == guest.id
        row.rotate_token()
        db.session.commit()
        assert attendee_for_token(guest.token) is None


def test_checkin_code_is_random_distinct_from_token_and_rotatable(app, event, make_attendee):
    first, second = make_attendee(event), make_attendee(event)
    assert first.code != second.code
    assert first.code != first.token
    assert len(first.code) >= 22  # >= 128 bits in URL-safe base64
    with app.app_context():
        row = db.session.get(Attendee, first.id)
        old = row.checkin_code
        new = row.rotate_checkin_code()
        db.session.commit()
        assert new != old
        assert db.session.scalars(select(Attendee).where(Attendee.checkin_code_hash == row.checkin_code_hash)).one().id == first.id
