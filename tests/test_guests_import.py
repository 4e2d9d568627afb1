"""CSV import of the guest list: preview with line-numbered problems, then one-transaction confirm."""
import io
import re

import pytest
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee, Person
from eventkit.db import db
from eventkit.mail.models import OutboundEmail


def upload(client, event, content, filename="guests.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(f"/events/{event.id}/guests/import",
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def payload_of(response) -> str:
    match = re.search(r'name="payload" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the preview carries a signed payload"
    return match.group(1)


def guests_of(app, event):
    with app.app_context():
        return {a.email: a for a in db.session.scalars(select(Attendee).where(Attendee.event_id == event.id))}


def problem_rows(response) -> list[tuple[int, str]]:
    html = response.get_data(as_text=True)
    return [(int(line), reason) for line, reason in
            re.findall(r'<tr><td>(\d+)</td><td class="error">([^<]+)</td>', html)]


@pytest.fixture
def signed_in(login, organiser):
    login(organiser)


def test_every_bad_row_is_reported_with_its_line_and_reason(client, app, event, make_attendee, signed_in):
    make_attendee(event, email="already@example.com")
    csv_text = (
        "Name,Email,Organisation,Role,Field\n"          # line 1
        "Ada Lovelace,ada@example.com,Analytical,CTO,Computing\n"  # 2 ok
        "No Email,,Org,,\n"                           # 3 missing email
        "Bad Email,not-an-email,Org,,\n"              # 4 malformed
        "Ada Again,ADA@example.com,,,\n"              # 5 duplicate in file
        "Old Friend,already@example.com,,,\n"         # 6 already on the list
        ",nameless@example.com,,,\n"                  # 7 missing name
        "\n"                                          # 8 blank: ignored
        "Grace Hopper,grace@example.com,,,\n"         # 9 ok
    )
    response = upload(client, event, csv_text)
    assert response.status_code == 200
    problems = problem_rows(response)
    assert [line for line, _ in problems] == [3, 4, 5, 6, 7]
    reasons = dict(problems)
    assert reasons[3] == "missing email"
    assert "malformed email" in reasons[4]
    assert "duplicate in file" in reasons[5]
    assert "already on the list" in reasons[6]
    assert reasons[7] == "missing name"
    assert "<strong>2</strong> guests can be imported" in response.get_data(as_text=True)
    assert set(guests_of(app, event)) == {"already@example.com"}, "the preview writes nothing"


def test_confirm_imports_valid_rows_and_queues_invitations(client, app, event, signed_in):
    response = upload(client, event, "name,email,organisation\nAda,ada@example.com,Analytical\nGrace,grace@example.com,Navy\nbad,,\n")
    confirm = client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": payload_of(response)})
    assert confirm.status_code == 302
    guests = guests_of(app, event)
    assert set(guests) == {"ada@example.com", "grace@example.com"}
    assert guests["ada@example.com"].organisation == "Analytical"
    with app.app_context():
        purposes = db.session.scalars(select(OutboundEmail.purpose)).all()
    assert purposes == ["invitation", "invitation"]


def test_semicolons_bom_and_header_case_are_understood(client, app, event, signed_in):
    content = "\ufeffNAME;E-Mail;Company;Job Title;FIELD\r\nJosé Núñez;jose@example.com;Café Ltd;Chef;Food\r\n"
    response = upload(client, event, content.encode("utf-8"))
    assert problem_rows(response) == []
    client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": payload_of(response)})
    guest = guests_of(app, event)["jose@example.com"]
    assert (guest.name, guest.organisation, guest.role, guest.field) == ("José Núñez", "Café Ltd", "Chef", "Food")


def test_quoted_multiline_cells_keep_line_numbers_right(client, event, signed_in):
    content = 'name,email,role\n"Ada","ada@example.com","two\nlines"\nNobody,,\n'
    assert problem_rows(upload(client, event, content)) == [(4, "missing email")]


def test_non_utf8_file_is_refused_clearly(client, event, signed_in):
    response = upload(client, event, "name,email\nJosé,jose@example.com\n".encode("latin-1"))
    assert response.status_code == 422
    assert "not UTF-8" in response.get_data(as_text=True)


def test_oversized_file_is_refused_clearly(client, app, event, signed_in):
    app.config["GUEST_IMPORT_MAX_BYTES"] = 2048
    big = "name,email\n" + "".join(f"Guest {i},guest{i}@example.com\n" for i in range(200))
    response = upload(client, event, big)
    assert response.status_code == 422
    assert "too large" in response.get_data(as_text=True)


def test_missing_header_columns_are_explained(client, event, signed_in):
    response = upload(client, event, "Ada,ada@example.com\n")
    assert response.status_code == 422
    assert "at least name and email" in response.get_data(as_text=True)


def test_tampered_payload_is_refused_and_nothing_is_imported(client, app, event, signed_in):
    response = upload(client, event, "name,email\nAda,ada@example.com\n")
    payload = payload_of(response)
    tampered = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    refused = client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": tampered})
    assert refused.status_code == 400
    assert "Upload the file again" in refused.get_data(as_text=True)
    assert guests_of(app, event) == {}


def test_payload_of_another_event_is_refused(client, app, event, make_event, signed_in):
    other = make_event()
    payload = payload_of(upload(client, other, "name,email\nAda,ada@example.com\n"))
    refused = client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": payload})
    assert refused.status_code == 400
    assert guests_of(app, event) == {} and guests_of(app, other) == {}


def test_confirm_is_one_transaction(client, app, event, signed_in, monkeypatch):
    payload = payload_of(upload(client, event, "name,email\nAda,ada@example.com\nGrace,grace@example.com\n"))
    from eventkit.attendees import imports

    calls = []
    real = imports._attach

    def fail_at_the_end(*args):
        real(*args)  # the last inserts: guests, people, audit entries, emails and attachments are written
        calls.append(1)
        raise RuntimeError("attachment store broke")

    monkeypatch.setattr(imports, "_attach", fail_at_the_end)
    response = client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": payload})
    assert response.status_code == 500 and calls == [1]
    assert guests_of(app, event) == {}
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0
        assert db.session.scalar(select(func.count(Person.id))) == 0


def test_rows_added_meanwhile_are_skipped_on_confirm(client, app, event, make_attendee, signed_in):
    payload = payload_of(upload(client, event, "name,email\nAda,ada@example.com\nGrace,grace@example.com\n"))
    make_attendee(event, email="grace@example.com")
    response = client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": payload}, follow_redirects=True)
    assert "1 guests imported" in response.get_data(as_text=True)
    assert "line 3" in response.get_data(as_text=True)
    assert set(guests_of(app, event)) == {"ada@example.com", "grace@example.com"}


def test_same_email_is_the_same_person_across_gatherings(client, app, event, make_event, signed_in):
    other = make_event()
    for target in (event, other):
        payload = payload_of(upload(client, target, "name,email\nAda,Ada@Example.com\n"))
        client.post(f"/events/{target.id}/guests/import/confirm", data={"payload": payload})
    with app.app_context():
        assert db.session.scalar(select(func.count(Person.id))) == 1
        people = set(db.session.scalars(select(Attendee.person_id)))
    assert len(people) == 1


def test_import_is_refused_to_other_organisers(client, event, make_organiser, login):
    login(make_organiser())
    assert upload(client, event, "name,email\nAda,ada@example.com\n").status_code == 404
    assert client.get(f"/events/{event.id}/guests/import").status_code == 404


def test_first_and_last_name_columns_and_unknown_columns(client, app, event, signed_in):
    content = "First Name,Last Name,Email Address,Ticket type\nAda,Lovelace,ada@example.com,VIP\n"
    response = upload(client, event, content)
    assert problem_rows(response) == []
    client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": payload_of(response)})
    assert guests_of(app, event)["ada@example.com"].name == "Ada Lovelace"
