"""Open sign-up is no mail relay: a self-made account confirms its email before eventkit emails
anyone else for it, and its first day is capped. CLI and demo accounts count as confirmed."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.auth.models import Organiser
from eventkit.config import from_environment
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.mail.limits import DEFAULT_DAILY_MAIL
from eventkit.mail.models import OutboundEmail


@pytest.fixture
def app_config(request) -> dict:
    return getattr(request, "param", {})


def sign_up(client, email="mallory@example.org"):
    response = client.post("/auth/signup", data={"name": "Mallory", "email": email, "password": "a long passphrase",
                                                 "confirm": "a long passphrase"})
    assert response.status_code == 302
    return response


def own_event(app, email="mallory@example.org") -> int:
    with app.app_context():
        organiser = db.session.scalars(select(Organiser).where(Organiser.email == email)).one()
        event = Event(owner_id=organiser.id, slug=f"e-{organiser.id}", title="Free money", timezone="UTC",
                      starts_at=organiser.created_at + timedelta(days=5), ends_at=organiser.created_at + timedelta(days=6),
                      capacity=40, status="open")
        db.session.add(event)
        db.session.commit()
        return event.id


def add_guest(client, event_id, email):
    return client.post(f"/events/{event_id}/guests", data={"name": "Victim", "email": email})


def emails_to(app, address) -> list[OutboundEmail]:
    with app.app_context():
        return db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_email == address)).all()


def confirmation_link(app, address) -> str:
    (email,) = emails_to(app, address)
    return re.search(r"http://eventkit\.test(/auth/confirm/\S+)", email.body_text).group(1)


def guests(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attendee.id)))


def test_an_unconfirmed_account_cannot_email_anyone_else_until_it_confirms(app, client):
    page = client.get(sign_up(client).headers["Location"])
    assert b"Confirm your email address" in page.data
    link = confirmation_link(app, "mallory@example.org")
    event_id = own_event(app)

    refused = add_guest(client, event_id, "victim@example.com")
    assert refused.status_code == 422
    assert b"Confirm your email address first" in refused.data
    assert emails_to(app, "victim@example.com") == [] and guests(app) == 0

    confirmed = client.get(link, follow_redirects=True)
    assert b"is confirmed" in confirmed.data
    assert add_guest(client, event_id, "victim@example.com").status_code == 302
    assert len(emails_to(app, "victim@example.com")) == 1


def test_the_link_can_be_sent_again_and_a_forged_one_is_refused(app, client):
    sign_up(client)
    link = confirmation_link(app, "mallory@example.org")
    assert b"Send the link again" in client.get("/auth/account").data
    assert client.post("/auth/resend-confirmation").status_code == 302
    forged = client.get(link[:-3] + "abc")
    assert forged.status_code == 404 and b"not valid" in forged.data
    with app.app_context():
        assert db.session.scalars(select(Organiser)).one().email_confirmed_at is None


@pytest.mark.parametrize("app_config", [{"NEW_ACCOUNT_DAILY_MAIL": 2}], indirect=True)
def test_a_new_accounts_first_day_is_capped(app, client):
    sign_up(client)
    client.get(confirmation_link(app, "mallory@example.org"))
    event_id = own_event(app)
    assert add_guest(client, event_id, "one@example.com").status_code == 302
    assert add_guest(client, event_id, "two@example.com").status_code == 302
    refused = add_guest(client, event_id, "three@example.com")
    assert refused.status_code == 422 and b"at most 2 emails during their first day" in refused.data
    assert guests(app) == 2 and emails_to(app, "three@example.com") == []
    with app.app_context():  # a day later the cap no longer applies
        organiser = db.session.scalars(select(Organiser)).one()
        organiser.created_at -= timedelta(days=1, minutes=1)
        db.session.commit()
    assert add_guest(client, event_id, "three@example.com").status_code == 302


def test_cli_and_demo_organisers_count_as_confirmed_and_uncapped(app, runner):
    result = runner.invoke(args=["eventkit", "create-organiser", "--email", "cli@example.org", "--name", "C",
                                 "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        organiser = db.session.scalars(select(Organiser)).one()
        assert organiser.email_confirmed and not organiser.self_signup


def test_the_daily_cap_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTKIT_NEW_ACCOUNT_DAILY_MAIL", "7")
    assert from_environment(str(tmp_path))["NEW_ACCOUNT_DAILY_MAIL"] == 7
    assert DEFAULT_DAILY_MAIL == 100
