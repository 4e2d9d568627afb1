"""Downloads, access checks, render limits and the CLI (emailing briefings: test_briefings_email.py)."""
from __future__ import annotations

import pytest
from queue_helpers import drain
from test_briefings_support import (  # noqa: F401  (fixtures)
    ADA_GIVES_BEN,
    REASON,
    briefing_gathering,
    build_gathering,
    config_from_param,
    flat,
    pdf_pages,
    pdf_text,
)

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.db import db, utcnow


def made_by_worker(client, event_id: int, what: str, paper: str = "a4"):
    """Ask for a download (queued for the worker), run the queue in-process, return the job's file response."""
    asked = client.post(f"/events/{event_id}/briefings/{what}", data={"paper": paper})
    assert asked.status_code == 303, asked.data
    drain()
    status = client.get(asked.headers["Location"] + "/status").get_json()
    if status["status"] != "done":
        return status
    return client.get(status["file_url"])


def test_guest_downloads_own_briefing(client, guest_login, gathering):
    guest_login(gathering.ada)
    response = client.get(f"/e/{gathering.event.slug}/briefing.pdf?paper=letter")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data)
    assert "Ada Lovelace" in text and "ADA-NOTE-ON-BEN" in text and "BEN-NOTE-ON-ADA" not in text
    assert round(float(pdf_pages(response.data)[0].mediabox.height)) == 792


def test_guest_briefing_needs_a_guest_session(client, gathering, make_event, make_attendee, guest_login):
    assert client.get(f"/e/{gathering.event.slug}/briefing.pdf").status_code == 403
    stranger = make_attendee(make_event(), "Stranger")
    guest_login(stranger)
    assert client.get(f"/e/{gathering.event.slug}/briefing.pdf").status_code == 403
    assert client.get("/e/no-such-gathering/briefing.pdf").status_code == 404


def test_guest_without_a_place_gets_a_clear_refusal(client, guest_login, gathering, make_attendee):
    declined = make_attendee(gathering.event, "Declined Dora", status=AttendeeStatus.DECLINED)
    guest_login(declined)
    response = client.get(f"/e/{gathering.event.slug}/briefing.pdf")
    assert response.status_code == 403
    assert b"place at this gathering" in response.data


def test_before_the_plan_is_locked_the_guest_page_offers_no_briefing_and_the_link_says_why(
        app, client, guest_login, make_event, make_attendee, make_intent):
    from eventkit.events.models import Event
    from eventkit.matching import services as matching

    gathering = build_gathering(app, make_event, make_attendee, make_intent, locked=False)
    slug = gathering.event.slug
    guest_login(gathering.ada)
    page = client.get(f"/e/{slug}/me").get_data(as_text=True)
    assert "Your printed briefing" in page and "once the organiser has planned and locked" in page
    assert "briefing.pdf" not in page
    early = client.get(f"/e/{slug}/briefing.pdf?paper=letter")
    assert early.status_code == 409 and early.mimetype == "text/html"
    assert b"Your briefing is not ready yet" in early.data
    with app.app_context():
        matching.set_locked(db.session.get(Event, gathering.event.id), True, utcnow())
        db.session.commit()
    page = client.get(f"/e/{slug}/me").get_data(as_text=True)
    assert f"/e/{slug}/briefing.pdf?paper=a4" in page and "once the organiser has planned" not in page
    assert client.get(f"/e/{slug}/briefing.pdf").mimetype == "application/pdf"


def test_a_guest_without_a_place_is_offered_no_briefing(client, guest_login, gathering, make_attendee):
    declined = make_attendee(gathering.event, "Declined Dora", status=AttendeeStatus.DECLINED)
    guest_login(declined)
    page = client.get(f"/e/{gathering.event.slug}/me").get_data(as_text=True)
    assert "briefing.pdf" not in page and "Briefings are for guests with a place" in page


def test_bad_paper_is_a_clear_400(client, guest_login, gathering):
    guest_login(gathering.ada)
    response = client.get(f"/e/{gathering.event.slug}/briefing.pdf?paper=tabloid")
    assert response.status_code == 400
    assert b"A4 or US Letter" in response.data


def test_organiser_downloads_any_guest_pack_and_run_sheet_without_guests_notes(client, login, organiser, gathering):
    login(organiser)
    base = f"/events/{gathering.event.id}/briefings"
    guest = client.get(f"{base}/{gathering.ben.id}.pdf")
    assert guest.status_code == 200 and "Ben Okafor" in pdf_text(guest.data)
    assert "BEN-NOTE-ON-ADA" not in pdf_text(guest.data) and "BEN-STARTER" not in pdf_text(guest.data)
    assert "ORGANISER-NOTE-ON-BEN" not in pdf_text(guest.data)

    pack = made_by_worker(client, gathering.event.id, "pack")
    assert pack.status_code == 200
    text = pdf_text(pack.data)
    for name in ("Ada Lovelace", "Ben Okafor", "Cleo Park", "Dan Shy"):
        assert f"BRIEFING FOR\n{name}" in text
    assert ADA_GIVES_BEN in flat(text) and REASON not in text and "ORGANISER-NOTE-ON-BEN" not in text
    for secret in ("ADA-NOTE-ON-BEN", "ADA-STARTER", "BEN-NOTE-ON-ADA", "BEN-STARTER"):
        assert secret not in text

    sheet = made_by_worker(client, gathering.event.id, "run-sheet")
    assert sheet.status_code == 200
    text = pdf_text(sheet.data)
    assert "Table 3" in text and "Vegetarian; step-free access" in text
    assert gathering.ada.code[-6:] in text and gathering.ada.code not in text
    assert "ADA-NOTE-ON-BEN" not in text


def test_a_guest_who_chose_so_has_their_notes_in_the_printed_copy(app, client, login, organiser, gathering):
    with app.app_context():
        db.session.get(Attendee, gathering.ben.id).print_notes = True
        db.session.commit()
    login(organiser)
    base = f"/events/{gathering.event.id}/briefings"
    assert "BEN-NOTE-ON-ADA" in pdf_text(client.get(f"{base}/{gathering.ben.id}.pdf").data)
    pack = pdf_text(made_by_worker(client, gathering.event.id, "pack").data)
    assert "BEN-NOTE-ON-ADA" in pack and "BEN-STARTER" in pack
    assert "ADA-NOTE-ON-BEN" not in pack, "only the guests who chose it"


def test_organiser_cannot_reach_other_events(client, login, make_organiser, organiser, gathering,
                                             make_event, make_attendee):
    other_event = make_event()
    outsider = make_attendee(other_event, "Outsider")
    login(organiser)
    assert client.get(f"/events/{gathering.event.id}/briefings/{outsider.id}.pdf").status_code == 404
    login(make_organiser())
    assert client.get(f"/events/{gathering.event.id}/briefings/{gathering.ada.id}.pdf").status_code == 404
    for what in ("pack", "run-sheet", "each"):
        assert client.post(f"/events/{gathering.event.id}/briefings/{what}").status_code == 404
    assert client.post(f"/events/{gathering.event.id}/briefings/email").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, gathering):
    response = client.post(f"/events/{gathering.event.id}/briefings/pack")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("app_config", [{"BRIEFINGS_RENDER_TIMEOUT": 0.001}], indirect=True)
def test_slow_render_is_stopped_with_a_clear_reason_and_the_app_keeps_working(app, client, login, organiser,
                                                                             gathering):
    login(organiser)
    status = made_by_worker(client, gathering.event.id, "pack")
    assert status["status"] == "failed" and "was stopped" in status["error"]
    app.config["BRIEFINGS_RENDER_TIMEOUT"] = 120
    assert made_by_worker(client, gathering.event.id, "run-sheet").status_code == 200


@pytest.mark.parametrize("app_config", [{"BRIEFINGS_MAX_PAGES": 2}], indirect=True)
def test_too_large_pack_is_refused(client, login, organiser, gathering):
    login(organiser)
    status = made_by_worker(client, gathering.event.id, "pack")
    assert status["status"] == "failed" and "pages (the limit is 2)" in status["error"]


@pytest.mark.parametrize("app_config", [{"BRIEFINGS_MAX_PACK_GUESTS": 3}], indirect=True)
def test_pack_guest_cap(client, login, organiser, gathering):
    login(organiser)
    status = made_by_worker(client, gathering.event.id, "pack")
    assert status["status"] == "failed" and "limited to 3 guests" in status["error"]


def test_cli_writes_pack_run_sheet_and_one_file_per_guest(runner, gathering, tmp_path):
    result = runner.invoke(args=["eventkit", "briefings", gathering.event.slug, "--out", str(tmp_path / "out"),
                                 "--paper", "letter"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    slug = gathering.event.slug
    expected = {f"briefings-{slug}.pdf", f"run-sheet-{slug}.pdf"} | {
        f"briefing-{slug}-{g.id}.pdf" for g in (gathering.ada, gathering.ben, gathering.cleo, gathering.dan)}
    assert set(files) == expected
    ben = (tmp_path / "out" / f"briefing-{slug}-{gathering.ben.id}.pdf").read_bytes()
    text = pdf_text(ben)
    assert "Ben Okafor" in text and "BEN-NOTE-ON-ADA" not in text and "ADA-NOTE-ON-BEN" not in text
    assert round(float(pdf_pages(ben)[0].mediabox.width)) == 612
    assert "Wrote 4 briefings" in result.output


def test_cli_unknown_slug(runner, tmp_path, app):
    result = runner.invoke(args=["eventkit", "briefings", "nope", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "No gathering" in result.output


@pytest.mark.parametrize("app_config", [{"BRIEFINGS_PARALLEL_MIN_GUESTS": 2}], indirect=True)
def test_pack_rendered_in_parallel_parts_keeps_guest_order_and_sections(app, client, login, organiser, gathering,
                                                                        runner, tmp_path):
    login(organiser)
    pack = made_by_worker(client, gathering.event.id, "pack")
    assert pack.status_code == 200
    text = pdf_text(pack.data)
    positions = [text.index(f"BRIEFING FOR\n{name}") for name in ("Ada Lovelace", "Ben Okafor", "Cleo Park", "Dan Shy")]
    assert positions == sorted(positions)
    result = runner.invoke(args=["eventkit", "briefings", gathering.event.slug, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    dan = pdf_text((tmp_path / f"briefing-{gathering.event.slug}-{gathering.dan.id}.pdf").read_bytes())
    assert "BRIEFING FOR\nDan Shy" in dan and dan.count("BRIEFING FOR") == 1


def test_panels_link_to_the_downloads(app, gathering):
    from flask import render_template

    from eventkit.attendees.models import Attendee
    from eventkit.events.models import Event

    with app.test_request_context():
        event = db.session.get(Event, gathering.event.id)
        guest_panel = render_template("briefings/_guest_panel.html", event=event,
                                      attendee=db.session.get(Attendee, gathering.ada.id))
        event_panel = render_template("briefings/_event_panel.html", event=event)
    assert f"/e/{event.slug}/briefing.pdf?paper=letter" in guest_panel
    for what in ("pack", "run-sheet", "each"):
        assert f'action="/events/{event.id}/briefings/{what}"' in event_panel
    assert 'name="paper" value="letter"' in event_panel
    assert f"/events/{event.id}/briefings/{gathering.dan.id}.pdf?paper=a4" in event_panel
    assert f'action="/events/{event.id}/briefings/email"' in event_panel
