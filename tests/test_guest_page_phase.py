"""The guest's page follows the gathering's life (before, on the day, after) and reads the plan in the second person."""
from __future__ import annotations

from datetime import timedelta

from eventkit.db import db, utcnow
from eventkit.events.models import EventStatus
from eventkit.profiles.models import ResearchNote
from tests.matching_helpers import four_guests

SETTINGS = {"settings-rounds": "1", "settings-round_minutes": "12", "settings-per_guest_cap": "3",
            "settings-odd_policy": "trio"}


def page_of(client, guest_login, event, guest) -> str:
    guest_login(guest)
    response = client.get(f"/e/{event.slug}/me")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_before_the_gathering_reply_then_profile_then_the_rest(client, guest_login, event, make_attendee):
    guest = make_attendee(event, status="invited")
    page = page_of(client, guest_login, event, guest)
    assert "you are invited to" in page
    reply, profile = page.index('id="reply"'), page.index("Get ready for the gathering")
    assert reply < profile < page.index("Your conversations") < page.index("Your printed briefing")
    assert profile < page.index("Your check-in code")
    assert "once the organiser locks the plan" in page  # an empty state that says what comes


def test_on_the_day_the_qr_code_comes_first_then_conversations(client, guest_login, make_event, make_attendee):
    event = make_event(starts_at=utcnow() - timedelta(hours=1))
    guest = make_attendee(event)
    page = page_of(client, guest_login, event, guest)
    assert "today is" in page and "you are invited" not in page
    qr = page.index("Your check-in code")
    assert page.index('guest-intro') < qr < page.index("Your conversations") < page.index("Your profile")
    assert qr < page.index('id="reply"')


def test_after_the_gathering_connections_first_and_no_invitation(client, guest_login, make_event, make_attendee):
    event = make_event(status=EventStatus.FINISHED, starts_at=utcnow() - timedelta(days=2))
    guest = make_attendee(event)
    page = page_of(client, guest_login, event, guest)
    assert "you are invited" not in page and "before the gathering" not in page.lower()
    assert "thank you for" in page
    follow_up = page.index("<h2>Follow-up</h2>")
    assert follow_up < page.index("Your conversations") < page.index('class="more-panels"')
    assert page.index('id="fold-checkin"') < page.index("Your check-in code")  # the QR code folds away
    assert 'id="reply"' not in page


def test_the_plan_in_the_second_person_with_partner_cards_and_own_notes_only(
        app, client, login, guest_login, organiser, event, make_attendee, make_intent):
    ana, ben, _cleo, _dev = four_guests(make_attendee, make_intent, event)
    with app.app_context():
        for guest in (ana, ben):
            db.session.merge(guest).directory_consent = True
        db.session.add_all([
            ResearchNote(event_id=event.id, author_attendee_id=ana.id, subject_id=ben.id, body="ANA-ON-BEN",
                         starters="Ask about the Rust rewrite"),
            ResearchNote(event_id=event.id, author_attendee_id=ben.id, subject_id=ana.id, body="BEN-ON-ANA",
                         starters="BEN-PRIVATE-STARTER"),
        ])
        db.session.commit()
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    client.post(f"/events/{event.id}/plan/lock")
    page = page_of(client, guest_login, event, ana)
    assert 'class="person-card"' in page and '<span class="avatar" aria-hidden="true">B</span>' in page
    assert "What you can give them" in page and "Fundraising: your “seed-stage fundraising intros”" in page
    assert "What they can give you" in page and "Rust: their “Rust code review”" in page
    assert "<strong>Your starter:</strong> Ask about the Rust rewrite" in page
    assert f'href="/e/{event.slug}/directory/{ben.id}"' in page and f'href="/e/{event.slug}/notes/{ben.id}"' in page
    assert "Your note on Ben" in page
    assert "BEN-ON-ANA" not in page and "BEN-PRIVATE-STARTER" not in page and "ANA-ON-BEN" not in page
    assert "which Ben seeks" not in page


def test_unlisted_partner_has_no_profile_link(app, client, login, guest_login, organiser, event, make_attendee,
                                              make_intent):
    ana, ben, _cleo, _dev = four_guests(make_attendee, make_intent, event)
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    client.post(f"/events/{event.id}/plan/lock")
    page = page_of(client, guest_login, event, ana)
    assert "Ben" in page and f"/directory/{ben.id}" not in page and f"/notes/{ben.id}" not in page


def test_guest_page_with_a_plan_costs_the_same_queries_whatever_the_gathering_size(
        app, client, login, guest_login, organiser, make_event, make_attendee, make_intent, count_queries):
    def queries(event, guest) -> int:
        login(organiser)
        client.post(f"/events/{event.id}/plan", data=SETTINGS)
        client.post(f"/events/{event.id}/plan/lock")
        guest_login(guest)
        with count_queries() as counter:
            assert client.get(f"/e/{event.slug}/me").status_code == 200
        return counter.count

    small = make_event()
    few = queries(small, four_guests(make_attendee, make_intent, small)[0])
    large = make_event()
    guests = four_guests(make_attendee, make_intent, large) + four_guests(make_attendee, make_intent, large)
    assert queries(large, guests[0]) == few
