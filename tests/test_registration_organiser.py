"""The organiser's side of registration: settings, questions, the review of applications, answers and the CSV."""
from __future__ import annotations

import csv
import io

from conftest import links_in
from sqlalchemy import select
from test_registration_public import add_question, confirm_through_email, guest_by_email, outbox, set_mode, sign_up

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.db import db
from eventkit.registration.models import Answer, Question, RegistrationSettings, SignUp

S = AttendeeStatus


def questions_of(app, event):
    with app.app_context():
        return [(q.label, q.kind, q.required, q.options, q.profile_target) for q in db.session.scalars(
            select(Question).where(Question.event_id == event.id).order_by(Question.position))]


def answer(app, guest, question_id, *values):
    with app.app_context():
        db.session.add(Answer(attendee_id=guest.id, question_id=question_id, values=list(values)))
        db.session.commit()


# --- settings and questions ---------------------------------------------------------------------------

def test_the_organiser_chooses_the_mode_and_the_address_rule(app, client, login, organiser, event):
    login(organiser)
    page = client.get(f"/events/{event.id}/registration")
    assert page.status_code == 200 and "Invite only" in page.get_data(as_text=True)
    response = client.post(f"/events/{event.id}/registration",
                           data={"mode": "apply", "address_confirmed_only": "y", "area": "  Amsterdam  Noord "})
    assert response.status_code == 302
    with app.app_context():
        settings = db.session.get(RegistrationSettings, event.id)
        assert (settings.mode, settings.address_confirmed_only, settings.area) == ("apply", True, "Amsterdam Noord")
    assert client.post(f"/events/{event.id}/registration", data={"mode": "everyone"}).status_code == 422
    panel = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Apply (you review each application)" in panel and f"/e/{event.slug}" in panel


def test_other_organisers_cannot_see_or_change_registration(app, client, login, make_organiser, event):
    login(make_organiser())
    for path in ("registration", "registration/applications", "registration/answers"):
        assert client.get(f"/events/{event.id}/{path}").status_code == 404
    assert client.post(f"/events/{event.id}/registration", data={"mode": "rsvp"}).status_code == 404


def test_questions_are_added_edited_moved_and_removed_until_the_first_answer(app, client, login, organiser, event):
    login(organiser)
    base = f"/events/{event.id}/registration/questions"
    assert client.post(base, data={"label": "Why come?", "kind": "long", "required": "y"}).status_code == 302
    assert client.post(base, data={"label": "Your field", "kind": "one", "options": "Climate\nDesign\nClimate",
                                   "profile_target": "field"}).status_code == 302
    assert client.post(base, data={"label": "Offer", "kind": "several", "profile_target": "offer"}).status_code == 302
    assert questions_of(app, event) == [
        ("Why come?", "long", True, [], ""), ("Your field", "one", False, ["Climate", "Design"], "field"),
        ("Offer", "several", False, sorted(["Fundraising", "Hiring", "Rust", "Design feedback", "Climate policy",
                                            "Go-to-market"]), "offer")]
    with app.app_context():
        first, second, third = db.session.scalars(select(Question.id).order_by(Question.position)).all()
    assert client.post(f"{base}/{second}/move/up").status_code == 302
    assert [q[0] for q in questions_of(app, event)] == ["Your field", "Why come?", "Offer"]
    edit = client.get(f"{base}/{first}")
    assert edit.status_code == 200 and "Why come?" in edit.get_data(as_text=True)
    assert client.post(f"{base}/{first}", data={"label": "Why do you come?", "kind": "short"}).status_code == 302
    assert client.post(f"{base}/{third}/delete").status_code == 302
    assert questions_of(app, event) == [("Your field", "one", False, ["Climate", "Design"], "field"),
                                        ("Why do you come?", "short", False, [], "")]
    # the first sign-up locks them: no change, move or removal, but additions still work
    with app.app_context():
        db.session.add(SignUp(event_id=event.id, email="a@example.com", name="A", answers={}))
        db.session.commit()
    refused = client.post(f"{base}/{first}", data={"label": "Changed", "kind": "short"}, follow_redirects=True)
    assert "can no longer be changed" in refused.get_data(as_text=True)
    assert client.post(f"{base}/{first}/delete").status_code == 302
    assert client.post(f"{base}/{second}/move/up").status_code == 302
    assert [q[0] for q in questions_of(app, event)] == ["Your field", "Why do you come?"]
    assert client.post(base, data={"label": "Diet?", "kind": "yes_no"}).status_code == 302
    assert [q[0] for q in questions_of(app, event)] == ["Your field", "Why do you come?", "Diet?"]


def test_bad_questions_are_refused_clearly(app, client, login, organiser, event):
    login(organiser)
    base = f"/events/{event.id}/registration/questions"
    cases = [({"label": "Pick", "kind": "one", "options": "Only one"}, "2 to 20 choices"),
             ({"label": "Offer", "kind": "short", "profile_target": "offer"}, "choice among your topic tags"),
             ({"label": "Offer", "kind": "several", "options": "Rust\nCobol", "profile_target": "seek"}, "Cobol"),
             ({"label": "Role", "kind": "long", "profile_target": "role"}, "short text or one choice"),
             ({"label": "", "kind": "short"}, "This field is required")]
    for data, message in cases:
        response = client.post(base, data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    assert questions_of(app, event) == []


def test_another_gatherings_question_is_404(app, client, login, organiser, make_event):
    mine, other = make_event(), make_event()
    question_id = add_question(app, other, "short", "Theirs")
    login(organiser)
    assert client.get(f"/events/{mine.id}/registration/questions/{question_id}").status_code == 404
    assert client.post(f"/events/{mine.id}/registration/questions/{question_id}/delete").status_code == 404


# --- the review ---------------------------------------------------------------------------------------

def test_approving_an_application_takes_a_place_and_emails_the_applicant(app, client, login, organiser, make_event,
                                                                         make_attendee, deliver):
    event = make_event(capacity=2)
    set_mode(app, event, "apply")
    applicant = make_attendee(event, name="Ada", email="ada@example.com", status=S.APPLIED)
    login(organiser)
    page = client.get(f"/events/{event.id}/registration/applications").get_data(as_text=True)
    assert "Ada" in page and "1 application" in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert client.post(f"/events/{event.id}/registration/applications/{applicant.id}/approve").status_code == 302
    assert guest_by_email(app, event, "ada@example.com").status == S.APPROVED
    messages = {m["Subject"]: m for m in deliver()}
    approved = messages[f"You're in: {event.title}"]
    [token] = links_in(approved)
    guest = app.test_client()
    assert guest.get(f"/g/{token}").status_code == 302
    assert "You are approved" in guest.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert f"Your place is confirmed: {event.title}" in messages  # the invitation: calendar and check-in code
    # decided once: a second decision is refused
    again = client.post(f"/events/{event.id}/registration/applications/{applicant.id}/decline", follow_redirects=True)
    assert "not an application awaiting review" in again.get_data(as_text=True)


def test_waitlisting_and_declining_each_have_their_email(app, client, login, organiser, event, make_attendee, deliver):
    set_mode(app, event, "apply")
    later = make_attendee(event, name="Wai", email="wai@example.com", status=S.APPLIED)
    no = make_attendee(event, name="Dee", email="dee@example.com", status=S.APPLIED)
    login(organiser)
    client.post(f"/events/{event.id}/registration/applications/{later.id}/waitlist")
    client.post(f"/events/{event.id}/registration/applications/{no.id}/decline")
    assert guest_by_email(app, event, "wai@example.com").status == S.WAITLISTED
    assert guest_by_email(app, event, "dee@example.com").status == S.DECLINED
    messages = {m["To"].addresses[0].addr_spec: m for m in deliver()}
    assert messages["wai@example.com"]["Subject"] == f"On the waiting list: {event.title}"
    assert messages["dee@example.com"]["Subject"] == f"About your application to {event.title}"
    assert "cannot offer you a place" in messages["dee@example.com"].get_body(("plain",)).get_content()
    assert "Open my page" in messages["dee@example.com"].get_body(("html",)).get_content()
    assert [p for to, p, _ in outbox(app) if to == "dee@example.com"] == ["registration_decision"]


def test_approving_past_capacity_is_refused_as_for_any_guest(app, client, login, organiser, make_event, make_attendee):
    event = make_event(capacity=1)
    make_attendee(event, status=S.REGISTERED)
    applicant = make_attendee(event, email="ada@example.com", status=S.APPLIED)
    login(organiser)
    response = client.post(f"/events/{event.id}/registration/applications/{applicant.id}/approve",
                           follow_redirects=True)
    assert "No places left" in response.get_data(as_text=True)
    assert guest_by_email(app, event, "ada@example.com").status == S.APPLIED
    assert outbox(app) == []


def test_a_waitlisted_applicant_moves_up_like_any_waitlisted_guest(app, client, login, organiser, make_event,
                                                                   make_attendee):
    event = make_event(capacity=1)
    holder = make_attendee(event, status=S.REGISTERED)
    applicant = make_attendee(event, email="ada@example.com", status=S.APPLIED)
    login(organiser)
    client.post(f"/events/{event.id}/registration/applications/{applicant.id}/waitlist")
    client.post(f"/events/{event.id}/guests/{holder.id}/status", data={"action": "cancel"})
    assert guest_by_email(app, event, "ada@example.com").status == S.INVITED
    assert ("ada@example.com", "place_offered") in [(to, p) for to, p, _ in outbox(app)]


def test_an_applicant_can_withdraw(app, client, guest_login, event, make_attendee):
    applicant = make_attendee(event, status=S.APPLIED)
    guest_login(applicant)
    assert client.post(f"/e/{event.slug}/decline").status_code == 302
    assert guest_by_email(app, event, applicant.email).status == S.DECLINED


# --- answers on the guest list, filtered, and in the CSV ----------------------------------------------

def test_answers_show_on_the_guest_list_filter_and_export(app, client, login, organiser, event, make_attendee,
                                                          count_queries):
    diet = add_question(app, event, "yes_no", "Vegetarian?")
    why = add_question(app, event, "long", "Why come?")
    ada = make_attendee(event, name="Ada", email="ada@example.com")
    bob = make_attendee(event, name="Bob", email="bob@example.com", status=S.APPLIED)
    make_attendee(event, name="Cy", email="cy@example.com")
    answer(app, ada, diet, "yes")
    answer(app, ada, why, "To meet =builders")
    answer(app, bob, diet, "no")
    login(organiser)
    listing = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    assert "Vegetarian?" in listing and "To meet =builders" in listing and "Review" in listing
    filtered = client.get(f"/events/{event.id}/registration/answers?question={diet}&value=yes").get_data(as_text=True)
    assert "1 guest" in filtered and "ada@example.com" in filtered and "bob@example.com" not in filtered
    answered = client.get(f"/events/{event.id}/registration/answers?question={diet}").get_data(as_text=True)
    assert "2 guests" in answered and "cy@example.com" not in answered
    everyone = client.get(f"/events/{event.id}/registration/answers").get_data(as_text=True)
    assert "3 guests" in everyone
    rows = list(csv.reader(io.StringIO(client.get(f"/events/{event.id}/guests.csv").data.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Vegetarian?", "Why come?"]
    by_email = {row[1]: row for row in rows[1:]}
    assert by_email["ada@example.com"][-2:] == ["yes", "To meet =builders"]
    assert by_email["bob@example.com"][-2:] == ["no", ""] and by_email["cy@example.com"][-2:] == ["", ""]
    # the answers pages do not grow with the number of guests
    with count_queries() as few:
        client.get(f"/events/{event.id}/registration/answers")
    for n in range(6):
        guest = make_attendee(event, email=f"more{n}@example.com")
        answer(app, guest, diet, "yes")
    with count_queries() as many:
        client.get(f"/events/{event.id}/registration/answers")
    assert many.count == few.count
    with count_queries() as review:
        client.get(f"/events/{event.id}/registration/applications")
    for n in range(4):
        make_attendee(event, email=f"applicant{n}@example.com", status=S.APPLIED)
    with count_queries() as more_review:
        client.get(f"/events/{event.id}/registration/applications")
    assert more_review.count == review.count


def test_the_guests_organiser_view_shows_their_answers(app, client, login, organiser, event, make_attendee):
    why = add_question(app, event, "short", "Your superpower")
    ada = make_attendee(event, name="Ada", status=S.APPLIED)
    answer(app, ada, why, "Analytical engines")
    login(organiser)
    for path in ("registration/applications", f"notes/{ada.id}"):  # the review, and the organiser's page on Ada
        page = client.get(f"/events/{event.id}/{path}").get_data(as_text=True)
        assert "Your superpower" in page and "Analytical engines" in page, path
    with app.app_context():
        assert db.session.get(Attendee, ada.id).status == S.APPLIED


def test_an_applicant_is_not_on_the_guest_list_yet(app, client, guest_login, event, make_attendee, make_door):
    make_attendee(event, name="Listed Lena", directory_consent=True)
    applicant = make_attendee(event, name="Applying Abe", status=S.APPLIED, directory_consent=True)
    door = make_door(event)
    answer_ = client.post(f"/api/door/{door.secret}/scan", json={"code": applicant.code, "nonce": "nonce-app-1"}).json
    assert answer_["ok"] is False and answer_["outcome"] == "not_approved"  # refused at the door, as an applicant
    with app.app_context():
        assert db.session.get(Attendee, applicant.id).checked_in_at is None
    guest_login(applicant)
    assert client.get(f"/e/{event.slug}/directory").status_code == 403  # a stranger reads no directory
    other = app.test_client()
    guest_login(make_attendee(event, name="Rita Registered"), on=other)
    listing = other.get(f"/e/{event.slug}/directory").get_data(as_text=True)
    assert "Listed Lena" in listing and "Applying Abe" not in listing


def test_a_declined_or_withdrawn_applicant_cannot_take_a_place_by_themselves(app, client, login, organiser, event,
                                                                             deliver, guest_login):
    set_mode(app, event, "apply")
    applicant = app.test_client()
    sign_up(applicant, event, email="ada@example.com")
    confirm_through_email(app, applicant, event, deliver)
    assert applicant.post(f"/e/{event.slug}/decline").status_code == 302  # withdraws
    home = applicant.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert "Application closed" in home and "I can come after all" not in home
    refused = applicant.post(f"/e/{event.slug}/accept")
    assert refused.status_code == 409 and "write to the organiser" in refused.get_data(as_text=True)
    assert guest_by_email(app, event, "ada@example.com").status == S.DECLINED
    # an approved applicant who declined may come back like any guest
    sign_up(app.test_client(), event, email="bo@example.com", name="Bo")
    bo_browser = app.test_client()
    confirm_through_email(app, bo_browser, event, deliver, email="bo@example.com")
    bo = guest_by_email(app, event, "bo@example.com")
    login(organiser)
    client.post(f"/events/{event.id}/registration/applications/{bo.id}/approve")
    assert bo_browser.post(f"/e/{event.slug}/decline").status_code == 302
    assert bo_browser.post(f"/e/{event.slug}/accept").status_code == 302
    assert guest_by_email(app, event, "bo@example.com").status == S.REGISTERED
