"""Briefing PDFs: content, privacy of notes, the QR code and the paper size."""
from __future__ import annotations

import re

import pytest
import zxingcpp
from test_briefings_support import ADA_GIVES_BEN, REASON, build_gathering, flat, page_png, pdf_pages, pdf_text

from eventkit.attendees.models import Attendee
from eventkit.briefings import services
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.qr import QUIET_ZONE, _qr, checkin_url, qr_svg


@pytest.fixture
def gathering(app, make_event, make_attendee, make_intent):
    return build_gathering(app, make_event, make_attendee, make_intent)


def briefing_of(app, guest, paper="a4") -> bytes:
    with app.app_context():
        return services.guest_briefing(db.session.get(Attendee, guest.id), services.paper_for(paper), own_copy=True)


def test_guest_briefing_lists_partners_reasons_and_own_notes_only(app, gathering):
    text = pdf_text(briefing_of(app, gathering.ada))
    assert "Ada Lovelace" in text and gathering.event.title in text
    assert "Ben Okafor" in text and "Gridworks" in text and "Cleo Park" in text
    # the plan in the second person: a card per partner, what each side can give, Ada's own starter
    assert REASON not in text and "What you can give them" in text and "What they can give you" in text
    assert ADA_GIVES_BEN in flat(text)
    assert "They offer: Hiring: intros to senior engineers" in flat(text)  # nothing Ada seeks: Ben's offers
    assert "Your starter: ADA-STARTER how do you hire?" in flat(text)
    assert "ADA-NOTE-ON-BEN" in text and "ADA-STARTER" in text
    assert "BEN-NOTE-ON-ADA" not in text and "BEN-STARTER" not in text
    assert "ORGANISER-NOTE-ON-BEN" not in text
    assert "ADA-NOTE-ON-DAN" not in text  # Dan is no partner of Ada's
    assert "within 48 hours" in text


def test_directory_lists_consenting_guests_only(app, gathering):
    text = pdf_text(briefing_of(app, gathering.ben))
    assert "Cleo Park" in text
    assert "Dan Shy" not in text  # no consent, and not Ben's partner


def test_unlocked_plan_says_not_planned(app, make_event, make_attendee, make_intent):
    gathering = build_gathering(app, make_event, make_attendee, make_intent, locked=False)
    text = pdf_text(briefing_of(app, gathering.ada))
    assert "Conversations not planned yet" in text
    assert REASON not in text and "ADA-NOTE-ON-BEN" not in text


def test_qr_on_the_page_decodes_to_the_guests_checkin_url(app, gathering, tmp_path):
    pdf = briefing_of(app, gathering.ada)
    image = page_png(pdf, tmp_path)
    results = zxingcpp.read_barcodes(image)
    with app.app_context():
        expected = checkin_url(gathering.ada.code)
    assert [r.text for r in results] == [expected]


@pytest.mark.parametrize(("paper", "points", "pixels"), [
    ("a4", (595, 842), (1241, 1754)),
    ("letter", (612, 792), (1275, 1650)),
])
def test_paper_size(app, gathering, tmp_path, paper, points, pixels):
    pdf = briefing_of(app, gathering.ada, paper)
    box = pdf_pages(pdf)[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == points
    assert page_png(pdf, tmp_path).size == pixels


def test_unknown_paper_is_refused(app):
    with app.app_context(), pytest.raises(services.DomainError):
        services.paper_for("tabloid")


def test_pack_content_loads_in_a_fixed_number_of_queries(app, gathering, make_attendee, make_intent, count_queries):
    from flask import render_template

    from eventkit.briefings import content

    def build_pack_html() -> int:
        with count_queries() as counter, app.test_request_context():
            event = db.session.get(Event, gathering.event.id)
            roster = content.load_roster(event)
            sheets = [content.guest_sheet(roster, guest) for guest in content.briefing_guests(roster)]
            render_template("briefings/pack.html", sheets=sheets, event=roster.event,
                            paper=services.paper_for("a4"), title="t")
            render_template("briefings/run_sheet.html", paper=services.paper_for("a4"), event=roster.event,
                            guests=content.briefing_guests(roster), rounds=services._rounds(roster), not_ready=[],
                            access=[], title="t")
        return counter.count

    small = build_pack_html()
    for n in range(6):
        extra = make_attendee(gathering.event, f"Extra {n}", directory_consent=True)
        make_intent(extra, "offer", "Hiring", "intros")
    assert build_pack_html() == small


def test_printed_directory_is_short_and_skips_partners(app, gathering, make_attendee, monkeypatch):
    from eventkit.briefings import content

    for n in range(3):
        make_attendee(gathering.event, f"Zed Extra {n}", directory_consent=True)
    monkeypatch.setattr(content, "DIRECTORY_LIMIT", 2)
    with app.app_context():
        roster = content.load_roster(db.session.get(Event, gathering.event.id))
        sheet = content.guest_sheet(roster, roster.attendees[gathering.ben.id])
    assert [p.name for p in sheet.directory] == ["Cleo Park", "Zed Extra 0"]  # Ada is Ben's partner
    assert sheet.directory_more == 2


def test_qr_svg_is_one_vector_path_of_the_exact_modules_with_quiet_zone():
    data = "https://eventkit.example/c/abcdefghijklmnopqrstuv"
    svg = qr_svg(data)
    assert svg.count("<path") == 1 and "<image" not in svg and "<rect" not in svg
    matrix = _qr(data).get_matrix()
    size = len(matrix)
    assert f'viewBox="0 0 {size} {size}"' in svg
    drawn = [[False] * size for _ in range(size)]
    for x, y, length in re.findall(r"M(\d+) (\d+)\.5h(\d+)", svg):
        for column in range(int(x), int(x) + int(length)):
            drawn[int(y)][column] = True
    assert drawn == matrix
    assert not any(matrix[y][x] for y in range(size) for x in range(size)
                   if min(x, y) < QUIET_ZONE or max(x, y) >= size - QUIET_ZONE)
