"""Charts (eventkit/charts.py): the numbers behind each, their SVG, the pages and the run-sheet that show them."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from flask import render_template_string
from pypdf import PdfReader

from eventkit import charts
from eventkit.attendees.models import AttendeeStatus
from eventkit.briefings import pdf, services
from eventkit.checkin.doors import arrival_curve
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.mail.services import queue_email
from eventkit.web import CSP

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 12, 1, 18, 2, tzinfo=timezone.utc)
FUNNEL = [("met", "Met", 40), ("followed_up", "Followed up", 28), ("reciprocated", "Reciprocated", 15),
          ("deepened", "Deepened", 6)]


def every_chart() -> list[charts.Chart]:
    return [
        charts.arrivals_chart([T0 + timedelta(minutes=m) for m in (0, 3, 7, 12, 20, 41, 70)], 9, 11, "Europe/Paris"),
        charts.replies_chart({"registered": 7, "approved": 2, "invited": 2, "waitlisted": 3, "declined": 1}),
        charts.readiness_chart(11, 8, 6, 9, 5),
        charts.delivery_chart({"sent": 40, "pending": 3, "sending": 1, "failed": 2}),
        charts.funnel_chart(FUNNEL),
    ]


def test_arrivals_are_grouped_in_round_intervals_and_counted_up():
    chart = charts.arrivals_chart([T0 + timedelta(minutes=m) for m in (0, 3, 7, 12, 20, 41, 70)], 9, 11, "Europe/Paris")
    # 70 minutes in 10-minute steps, labelled by each interval's end in Paris time (UTC+1)
    assert chart.columns == ("By", "Arrived in the interval", "Arrived so far", "Expected")
    assert chart.rows[:3] == (("19:10", "3", "3", "9"), ("19:20", "1", "4", "9"), ("19:30", "1", "5", "9"))
    assert chart.rows[-1] == ("20:20", "1", "7", "9") and len(chart.rows) == 8
    assert chart.summary == "7 of 9 expected guests arrived (11 hold a place)."
    ends, counts = charts.arrival_intervals([T0, T0 + timedelta(hours=30)])
    assert ends[1] - ends[0] == timedelta(hours=3) and sum(counts) == 2 and len(counts) <= charts.MAX_POINTS
    assert charts.arrival_intervals([T0]) == ([datetime(2026, 12, 1, 18, 5, tzinfo=timezone.utc)], [1])


def test_bar_charts_carry_their_numbers_and_shares():
    replies, readiness, delivery, funnel = every_chart()[1:]
    assert replies.rows[:3] == (("Registered", "7", "47%"), ("Approved", "2", "13%"), ("Invited, no reply", "2", "13%"))
    assert ("Cancelled", "0", "0%") in replies.rows and replies.columns == ("Answer", "Number", "Share of all guests")
    assert replies.summary == "Of 15 guests: 7 registered; 2 approved; 2 invited, no reply; 3 waitlisted; 1 declined."
    assert readiness.rows[-1] == ("Ready", "5", "45%") and readiness.columns[-1] == "Share of guests coming"
    assert delivery.rows == (("Sent", "40", "87%"), ("Waiting", "4", "9%"), ("Failed", "2", "4%"))
    assert funnel.rows[-1] == ("Deepened", "6", "15%") and funnel.columns[-1] == "Share of met"
    assert charts.delivery_chart({}).rows[0] == ("Sent", "0", "–")


def test_value_axis_ticks_are_few_whole_round_numbers():
    assert charts.ticks(0) == [0, 1]
    assert charts.ticks(3) == [0, 1, 2, 3]
    assert charts.ticks(17) == [0, 5, 10, 15, 20]
    assert charts.ticks(45) == [0, 20, 40, 60]
    assert charts.ticks(1000) == [0, 250, 500, 750, 1000]


@pytest.mark.parametrize("chart", every_chart(), ids=lambda chart: chart.key)
def test_page_svg_is_well_formed_named_and_free_of_script_and_inline_style(chart):
    root = ET.fromstring(str(chart.svg))
    assert root.get("role") == "img" and root.get("id") == f"chart-{chart.key}-svg"
    title, desc = (root.find(f"{SVG}{tag}") for tag in ("title", "desc"))
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert (title.text, desc.text) == (chart.title, chart.summary)
    tags = {node.tag.removeprefix(SVG) for node in root.iter()}
    assert not tags & {"script", "style", "foreignObject"}
    assert not [node for node in root.iter() if "style" in node.attrib or any(a.startswith("on") for a in node.attrib)]
    assert "viewBox" in root.attrib and root.get("viewBox").split()[2] == str(charts.VIEW_WIDTH)
    assert f">{chart.rows[0][0]}<" in str(chart.svg), "the first label is drawn"


@pytest.mark.parametrize("chart", every_chart(), ids=lambda chart: chart.key)
def test_document_svg_is_painted_by_attributes_without_style_or_script(chart):
    root = ET.fromstring(chart.document_svg)
    tags = [node.tag.removeprefix(SVG) for node in root.iter()]
    assert "style" not in tags and "script" not in tags
    series = [node for node in root.iter() if "color-0" in node.get("class", "").split()]
    assert series and all(node.get("fill") == charts.ACCENT for node in series), "bars and lines inherit the colour"
    labels = [node for node in root.iter() if node.tag == f"{SVG}text" and node.get("text-anchor")]
    assert labels, "axis labels are anchored without pygal's stylesheet"


def test_chart_text_is_escaped():
    chart = charts.bar_chart("x", "Mine <b>", "A & B <i>", [("<script>", 1)])
    assert "<script>" not in str(chart.svg) and "&lt;script&gt;" in str(chart.svg)
    assert "<b>" not in str(chart.svg) and ET.fromstring(str(chart.svg)) is not None


def test_arrival_curve_reads_times_expected_and_places_in_one_query(app, event, make_attendee, count_queries):
    make_attendee(event, checked_in_at=T0 + timedelta(minutes=5))
    make_attendee(event, checked_in_at=T0)
    make_attendee(event, status=AttendeeStatus.APPROVED)
    make_attendee(event, status=AttendeeStatus.INVITED)
    make_attendee(event, status=AttendeeStatus.DECLINED)
    make_attendee(event, status=AttendeeStatus.INVITED, checked_in_at=T0 + timedelta(minutes=1))
    with app.app_context(), count_queries() as counter:
        curve = arrival_curve(event.id)
    assert [s.split()[0] for s in counter.statements if s != "BEGIN IMMEDIATE"] == ["SELECT"], counter.statements
    assert [moment - T0 for moment in curve.times] == [timedelta(0), timedelta(minutes=1), timedelta(minutes=5)]
    assert (curve.expected, curve.holding) == (3, 5)


@pytest.fixture
def busy_event(app, event, make_attendee, make_intent):
    """A gathering with replies of every kind, arrivals, a ready guest and emails in the outbox."""
    ada = make_attendee(event, name="Ada", role="CTO", organisation="Engines", field="Computing", bio="Builds",
                        checked_in_at=T0)
    make_intent(ada, "offer", "Rust")
    make_attendee(event, checked_in_at=T0 + timedelta(minutes=9))
    make_attendee(event, status=AttendeeStatus.INVITED)
    make_attendee(event, status=AttendeeStatus.WAITLISTED)
    with app.app_context():
        queue_email(to_email="g@example.com", template="notice", purpose="notice", dedupe_key="charts:1",
                    event_id=event.id, title="Hello", body="See you.")
        db.session.commit()
    return event


def event_page(client, login, organiser, event) -> tuple[str, dict]:
    login(organiser)
    response = client.get(f"/events/{event.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True), response.headers


def test_event_page_shows_each_chart_with_a_text_table_and_nothing_the_csp_blocks(client, login, organiser,
                                                                                   busy_event):
    html, headers = event_page(client, login, organiser, busy_event)
    for key in ("arrivals", "replies", "readiness", "delivery"):
        assert f'<figure class="chart" id="chart-{key}">' in html
        assert f'id="chart-{key}-svg" role="img" aria-labelledby="chart-{key}-title chart-{key}-desc"' in html
    assert html.count('<details class="chart-data">') == 4
    assert "<th scope=\"row\">Invited, no reply</th><td>1</td>" in html
    assert "2 of 2 expected guests arrived (3 hold a place)." in html
    assert not re.search(r"<style\b|\sstyle\s*=|<script(?![^>]*\bsrc=)", html, re.I), "inline style or script"
    assert "charts.css" in html
    policy = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and f"style-src {CSP['style-src']}" in policy


def test_charts_wait_for_numbers(client, login, organiser, event, make_attendee):
    html, _headers = event_page(client, login, organiser, event)
    assert 'class="chart"' not in html and "No guests yet" in html
    make_attendee(event)
    html, _headers = event_page(client, login, organiser, event)
    assert 'id="chart-replies"' in html and 'id="chart-readiness"' in html
    assert 'id="chart-arrivals"' not in html and 'id="chart-delivery"' not in html


def test_event_page_queries_do_not_grow_with_guests_and_arrivals(client, login, organiser, busy_event, make_attendee,
                                                                 count_queries):
    login(organiser)

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/events/{busy_event.id}").status_code == 200
        return counter.count

    before = queries()
    for n in range(6):
        make_attendee(busy_event, checked_in_at=T0 + timedelta(minutes=7 * n))
        make_attendee(busy_event, status=AttendeeStatus.DECLINED)
    assert queries() == before


def test_funnel_macro_draws_the_chart_or_says_why_not(app):
    source = '{% from "followup/_funnel.html" import funnel %}{{ funnel(rows) }}'
    with app.test_request_context():
        html = render_template_string(source, rows=FUNNEL)
        empty = render_template_string(source, rows=[(key, label, 0) for key, label, _n in FUNNEL])
    assert 'id="chart-funnel"' in html and "<th scope=\"row\">Reciprocated</th><td>15</td><td>38%</td>" in html
    assert "<svg" not in empty and "No connections yet" in empty


def test_followup_dashboard_has_the_funnel_section(client, login, organiser, event):
    login(organiser)
    html = client.get(f"/events/{event.id}/followup").get_data(as_text=True)
    assert "<h2>Funnel</h2>" in html and "No connections yet" in html


def test_run_sheet_shows_the_charts_as_generated_images_only(app, busy_event):
    with app.test_request_context():
        job = services.run_sheet_document(db.session.get(Event, busy_event.id), services.paper_for("a4"))
    assert set(job.generated) == {"chart-replies.svg", "chart-readiness.svg", "chart-arrivals.svg"}
    assert all(mime == "image/svg+xml" and b"<script" not in body for mime, body in job.generated.values())
    assert 'src="generated:chart-arrivals.svg"' in job.html
    result = pdf.render(job)
    charts_fetched = sorted(url for url, outcome in result.fetched if url.startswith("generated:chart-"))
    assert charts_fetched == ["generated:chart-arrivals.svg", "generated:chart-readiness.svg",
                              "generated:chart-replies.svg"]
    assert all(outcome == "served" for _url, outcome in result.fetched)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(result.pdf)).pages)
    assert "Replies" in text and "2 of 2 expected guests arrived" in text


def test_run_sheet_of_a_gathering_without_guests_has_no_charts(app, event):
    with app.test_request_context():
        job = services.run_sheet_document(db.session.get(Event, event.id), services.paper_for("a4"))
    assert job.generated == {} and "generated:chart-" not in job.html


def test_the_arrivals_chart_costs_the_event_page_one_query(client, login, organiser, event, make_attendee,
                                                           count_queries):
    make_attendee(event)
    login(organiser)

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/events/{event.id}").status_code == 200
        return counter.count

    before = queries()
    make_attendee(event, checked_in_at=T0)
    assert queries() == before + 1
