"""The public gathering page: the three modes, the questions, email confirmation, no enumeration, rate limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import links_in
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail
from eventkit.profiles.models import Intent
from eventkit.registration import services
from eventkit.registration.models import Answer, Question, RegistrationSettings, SignUp

CONFIRM_PATH = "/e/"


def set_mode(app, event, mode, **fields):
    with app.app_context():
        values = {"address_confirmed_only": False, "area": "", **fields}
        db.session.merge(RegistrationSettings(event_id=event.id, mode=mode, **values))
        db.session.commit()


def add_question(app, event, kind, label, *, required=False, options=(), target="", position=None):
    with app.app_context():
        count = db.session.scalar(select(func.count(Question.id)).where(Question.event_id == event.id))
        question = Question(event_id=event.id, kind=kind, label=label, required=required, options=list(options),
                            profile_target=target, position=position or count + 1)
        db.session.add(question)
        db.session.commit()
        return question.id


def outbox(app, **where):
    with app.app_context():
        query = select(OutboundEmail).order_by(OutboundEmail.id)
        for name, value in where.items():
            query = query.where(getattr(OutboundEmail, name) == value)
        rows = db.session.scalars(query).all()
        return [(row.to_email, row.purpose, row.subject) for row in rows]


def guest_by_email(app, event, email):
    with app.app_context():
        guest = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id,
                                                          Attendee.email == email)).first()
        if guest is not None:
            db.session.expunge(guest)
        return guest


def confirm_token(message, slug):
    [token] = links_in(message, f"/e/{slug}/confirm/")
    return token


def sign_up(client, event, email="ada@example.com", name="Ada Lovelace", **answers):
    data = {"name": name, "email": email, **answers}
    return client.post(f"/e/{event.slug}/register", data=data, environ_base={"REMOTE_ADDR": "203.0.113.7"})


def confirm_through_email(app, client, event, deliver, email="ada@example.com"):
    messages = [m for m in deliver() if m["To"].addresses[0].addr_spec == email]
    token = confirm_token(messages[-1], event.slug)
    page = client.get(f"/e/{event.slug}/confirm/{token}")
    assert page.status_code == 200 and "Confirm" in page.get_data(as_text=True)
    assert guest_by_email(app, event, email) is None  # opening the link (a mail scanner) changes nothing
    response = client.post(f"/e/{event.slug}/confirm/{token}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/e/{event.slug}/me")
    return token


# --- the page ---------------------------------------------------------------------------------------

def test_the_public_page_shows_the_gathering(app, client, make_event):
    event = make_event(description="Long table, good food.\nBring a question.", capacity=12)
    page = client.get(f"/e/{event.slug}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for part in (event.title, event.theme, "Long table, good food.<br>", "Olivia Organiser", "12 places left",
                 "Europe/Amsterdam", "The Long Table, 12 Canal Street", f"/e/{event.slug}/event.ics"):
        assert part in text
    ics = client.get(f"/e/{event.slug}/event.ics")
    assert ics.status_code == 200 and b"SUMMARY:" in ics.data and b"12 Canal Street" in ics.data


def test_a_draft_has_no_public_page_and_unknown_slugs_are_404(client, make_event):
    draft = make_event(status="draft")
    assert client.get(f"/e/{draft.slug}").status_code == 404
    assert client.get("/e/no-such-gathering").status_code == 404


def test_the_address_can_be_kept_for_confirmed_guests(app, client, make_event, make_attendee, guest_login):
    event = make_event()
    set_mode(app, event, "rsvp", address_confirmed_only=True, area="Amsterdam, near the canals")
    text = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "12 Canal Street" not in text and "Amsterdam, near the canals" in text
    ics = client.get(f"/e/{event.slug}/event.ics").data
    assert b"Canal Street" not in ics and b"Amsterdam" in ics
    applicant = make_attendee(event, status=AttendeeStatus.APPLIED)
    guest_login(applicant)
    assert "12 Canal Street" not in client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    other = app.test_client()
    guest_login(make_attendee(event, status=AttendeeStatus.REGISTERED), on=other)
    assert "12 Canal Street" in other.get(f"/e/{event.slug}/me").get_data(as_text=True)


def test_a_full_gathering_says_waiting_list(app, client, make_event, make_attendee):
    event = make_event(capacity=1)
    make_attendee(event)
    set_mode(app, event, "rsvp")
    text = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "Waiting list" in text and "you would join the waiting list" in text


# --- the three modes --------------------------------------------------------------------------------

def test_invite_only_has_no_form_and_offers_the_lost_link_form(app, client, event):
    text = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "By invitation only" in text and f"/e/{event.slug}/link" in text
    assert f"/e/{event.slug}/register" not in text
    response = sign_up(client, event)
    assert response.status_code == 409
    assert outbox(app) == []


def test_rsvp_confirmed_by_email_registers_and_signs_in(app, client, event, deliver):
    set_mode(app, event, "rsvp")
    assert f"/e/{event.slug}/register" in client.get(f"/e/{event.slug}").get_data(as_text=True)
    response = sign_up(client, event, email=" Ada@Example.com ")
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert guest_by_email(app, event, "ada@example.com") is None  # nothing before the confirmation
    assert outbox(app) == [("ada@example.com", "registration_confirm", f"Confirm your email for {event.title}")]
    token = confirm_through_email(app, client, event, deliver)
    guest = guest_by_email(app, event, "ada@example.com")
    assert guest.status == AttendeeStatus.REGISTERED and guest.name == "Ada Lovelace"
    home = client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert "You are registered" in home
    # the confirmation link is now their personal link, from any browser
    other = app.test_client()
    assert other.get(f"/e/{event.slug}/confirm/{token}").headers["Location"].endswith(f"/g/{token}")
    assert other.get(f"/g/{token}").status_code == 302 and other.get(f"/e/{event.slug}/me").status_code == 200
    # and their invitation (calendar, QR code) is queued
    assert ("ada@example.com", "invitation") in [(to, purpose) for to, purpose, _ in outbox(app)]
    # confirming again changes nothing
    assert client.post(f"/e/{event.slug}/confirm/{token}").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == event.id)) == 1


def test_rsvp_past_capacity_joins_the_waiting_list(app, client, make_event, make_attendee, deliver):
    event = make_event(capacity=1)
    make_attendee(event)
    deliver()
    set_mode(app, event, "rsvp")
    sign_up(client, event)
    confirm_through_email(app, client, event, deliver)
    assert guest_by_email(app, event, "ada@example.com").status == AttendeeStatus.WAITLISTED


def test_apply_makes_an_application_that_holds_no_place(app, client, make_event, deliver):
    event = make_event(capacity=1)
    set_mode(app, event, "apply")
    assert "Apply to come" in client.get(f"/e/{event.slug}").get_data(as_text=True)
    sign_up(client, event)
    confirm_through_email(app, client, event, deliver)
    guest = guest_by_email(app, event, "ada@example.com")
    assert guest.status == AttendeeStatus.APPLIED
    assert "Application received" in client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert "1 place left" in app.test_client().get(f"/e/{event.slug}").get_data(as_text=True)
    assert [p for _, p, _ in outbox(app)] == ["registration_confirm"]  # no invitation before the review


def test_unknown_and_expired_confirmation_links(app, client, event, deliver):
    set_mode(app, event, "rsvp")
    assert client.get(f"/e/{event.slug}/confirm/not-a-token").status_code == 404
    assert client.post(f"/e/{event.slug}/confirm/not-a-token").status_code == 404
    sign_up(client, event)
    token = confirm_token(deliver()[0], event.slug)
    with app.app_context():
        signup = db.session.scalars(select(SignUp)).one()
        signup.created_at = signup.created_at - timedelta(days=8)
        db.session.commit()
    response = client.post(f"/e/{event.slug}/confirm/{token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert guest_by_email(app, event, "ada@example.com") is None


def test_a_form_closed_after_sending_refuses_the_confirmation(app, client, event, deliver):
    set_mode(app, event, "rsvp")
    sign_up(client, event)
    token = confirm_token(deliver()[0], event.slug)
    set_mode(app, event, "invite")
    assert client.post(f"/e/{event.slug}/confirm/{token}").status_code == 409
    assert guest_by_email(app, event, "ada@example.com") is None


def test_a_closed_gathering_takes_no_sign_ups(app, client, make_event):
    event = make_event(status="closed")
    set_mode(app, event, "rsvp")
    assert "Sign-ups are closed" in client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert sign_up(client, event).status_code == 409


# --- no enumeration, rate limits, spam trap -----------------------------------------------------------

def test_the_answer_is_the_same_whether_or_not_the_email_is_on_the_list(app, client, event, make_attendee, deliver):
    set_mode(app, event, "rsvp")
    known = make_attendee(event, email="known@example.com", name="Known Guest")
    deliver()
    new_page = sign_up(client, event, email="new@example.com", name="Same Name")
    known_page = sign_up(app.test_client(), event, email="known@example.com", name="Same Name")
    assert new_page.status_code == known_page.status_code == 200
    assert (new_page.get_data(as_text=True).replace("new@example.com", "X")
            == known_page.get_data(as_text=True).replace("known@example.com", "X"))
    messages = {m["To"].addresses[0].addr_spec: m for m in deliver()}
    assert messages["known@example.com"]["Subject"] == f"You are already on the list: {event.title}"
    [token] = links_in(messages["known@example.com"])  # their personal link, by email
    other = app.test_client()
    assert other.get(f"/g/{token}").status_code == 302
    assert other.get(f"/e/{event.slug}/me").status_code == 200
    assert guest_by_email(app, event, "known@example.com").status == known.status  # nothing changed


def test_one_email_per_address_per_quarter_hour(app, client, event):
    set_mode(app, event, "rsvp")
    for _ in range(3):
        response = sign_up(app.test_client(), event)
        assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert len(outbox(app)) == 1
    with app.app_context():
        now = utcnow() + services.ADDRESS_INTERVAL + timedelta(seconds=1)
        services.submit(db.session.get(Event, event.id),
                        services.Submission(name="Ada", email="ada@example.com", client="198.51.100.1"), now)
        db.session.commit()
    assert len(outbox(app)) == 2


def test_one_client_is_limited_per_hour(app, client, event):
    set_mode(app, event, "rsvp")
    for n in range(services.CLIENT_LIMIT):
        assert sign_up(client, event, email=f"person{n}@example.com").status_code == 200
    refused = sign_up(client, event, email="one-more@example.com")
    assert refused.status_code == 429 and "Too many sign-ups" in refused.get_data(as_text=True)
    assert len(outbox(app)) == services.CLIENT_LIMIT
    other_client = client.post(f"/e/{event.slug}/register", data={"name": "B", "email": "b@example.com"},
                               environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other_client.status_code == 200


def test_the_spam_trap_answers_the_same_and_sends_nothing(app, client, event):
    set_mode(app, event, "rsvp")
    response = sign_up(client, event, website="http://spam.example")
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert outbox(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(SignUp.id))) == 0


def test_a_bad_email_or_missing_name_is_a_clear_422(app, client, event):
    set_mode(app, event, "rsvp")
    assert sign_up(client, event, email="not-an-email").status_code == 422
    assert sign_up(client, event, name="").status_code == 422
    assert outbox(app) == []


# --- questions ----------------------------------------------------------------------------------------

@pytest.fixture
def form_event(app, make_event):
    event = make_event()
    set_mode(app, event, "apply")
    ids = {
        "short": add_question(app, event, "short", "Your organisation", required=True, target="organisation"),
        "long": add_question(app, event, "long", "Why do you want to come?"),
        "one": add_question(app, event, "one", "Your field", options=["Climate", "Design"], target="field"),
        "several": add_question(app, event, "several", "What can you offer?", options=["Fundraising", "Rust"],
                                target="offer"),
        "yes_no": add_question(app, event, "yes_no", "Vegetarian?", required=True),
    }
    event.question_ids = ids
    return event


def test_every_question_kind_is_asked_checked_and_stored(app, client, form_event, deliver):
    event, ids = form_event, form_event.question_ids
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    for label in ("Your organisation", "Why do you want to come?", "Your field", "What can you offer?", "Vegetarian?"):
        assert label in page
    assert page.index("Your organisation") < page.index("Vegetarian?")  # in the organiser's order
    answers = {f"q{ids['short']}": "Tidal Labs", f"q{ids['long']}": "To meet\nbuilders.",
               f"q{ids['one']}": "Design", f"q{ids['several']}": ["Fundraising", "Rust"], f"q{ids['yes_no']}": "yes"}
    assert sign_up(client, event, **answers).status_code == 200
    confirm_through_email(app, client, event, deliver)
    guest = guest_by_email(app, event, "ada@example.com")
    with app.app_context():
        stored = {a.question_id: a.values for a in db.session.scalars(select(Answer))}
        intents = sorted(i.tag.name for i in db.session.scalars(select(Intent).where(Intent.attendee_id == guest.id)))
    assert stored == {ids["short"]: ["Tidal Labs"], ids["long"]: ["To meet\nbuilders."], ids["one"]: ["Design"],
                      ids["several"]: ["Fundraising", "Rust"], ids["yes_no"]: ["yes"]}
    assert guest.organisation == "Tidal Labs" and guest.field == "Design"  # the profile arrives filled
    assert intents == ["Fundraising", "Rust"]
    assert "Tidal Labs" in client.get(f"/e/{event.slug}/me").get_data(as_text=True)  # their own answers


@pytest.mark.parametrize("bad, message", [
    ({"short": ""}, "“Your organisation” needs an answer."),
    ({"yes_no": "maybe"}, "“Vegetarian?” needs an answer."),
    ({"one": "Finance"}, "“Your field”: pick from the choices given."),
    ({"several": ["Rust", "Hacking"]}, "“What can you offer?”: pick from the choices given."),
    ({"long": "x" * 2001}, "“Why do you want to come?”: at most 2000 characters."),
])
def test_bad_answers_are_refused_with_the_question_named(app, client, form_event, bad, message):
    ids = form_event.question_ids
    answers = {f"q{ids['short']}": "Tidal Labs", f"q{ids['yes_no']}": "no"}
    answers.update({f"q{ids[key]}": value for key, value in bad.items()})
    response = sign_up(client, form_event, **answers)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert outbox(app) == []
    if "short" not in bad:
        assert 'value="Tidal Labs"' in response.get_data(as_text=True)  # what was typed is kept


def test_optional_questions_may_stay_empty(app, client, form_event):
    ids = form_event.question_ids
    response = sign_up(client, form_event, **{f"q{ids['short']}": "Tidal", f"q{ids['yes_no']}": "no"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(SignUp)).one().answers == {str(ids["short"]): ["Tidal"],
                                                                    str(ids["yes_no"]): ["no"]}


def test_the_public_page_costs_the_same_queries_whatever_the_questions(app, client, event, count_queries):
    set_mode(app, event, "apply")
    add_question(app, event, "short", "One")
    with count_queries() as few:
        assert client.get(f"/e/{event.slug}").status_code == 200
    for n in range(6):
        add_question(app, event, "one", f"Choice {n}", options=["a", "b"])
    with count_queries() as many:
        assert client.get(f"/e/{event.slug}").status_code == 200
    assert many.count == few.count <= 8
