"""Creating, editing and listing gatherings; time zones; topic tags."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from eventkit.audit import AuditEntry
from eventkit.db import db
from eventkit.events.models import Event, EventStatus, Tag


def form_data(**overrides) -> dict:
    data = {
        "title": "Rust & Climate: builders' supper",
        "theme": "Climate-tech founders and the engineers who build for them",
        "description": "Eight tables of six.\n<b>Bring questions.</b>",
        "venue": "The Long Table, 12 Canal Street",
        "timezone": "Europe/London",
        "starts_local": "2030-07-01T18:30",
        "ends_local": "2030-07-01T22:00",
        "capacity": "40",
        "followup_first_hours": "48",
        "followup_cadence_days": "7, 30,90",
        "followup_blocks_registration": "y",
        "field_options_text": "Climate, Design, climate , Finance",
    }
    data.update(overrides)
    return data


def only_event(app) -> Event:
    with app.app_context():
        return db.session.scalars(select(Event)).one()


def event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)))


@pytest.fixture
def signed_in(client, organiser, login):
    login(organiser)
    return client


def test_create_stores_utc_from_local_time_in_the_event_zone(app, signed_in, organiser):
    response = signed_in.post("/events/new", data=form_data())
    assert response.status_code == 302
    event = only_event(app)
    assert response.headers["Location"] == f"/events/{event.id}"
    # London is on BST (UTC+1) in July
    assert event.starts_at == datetime(2030, 7, 1, 17, 30, tzinfo=timezone.utc)
    assert event.ends_at == datetime(2030, 7, 1, 21, 0, tzinfo=timezone.utc)
    assert event.status == EventStatus.DRAFT
    assert event.owner_id == organiser.id
    assert event.slug == "rust-climate-builders-supper"
    assert event.followup_cadence_days == "7,30,90"
    assert event.followup_blocks_registration is True
    assert event.field_options == ["Climate", "Design", "Finance"]
    page = signed_in.get(f"/events/{event.id}").data
    assert b"Mon 01 Jul 2030, 18:30" in page  # shown back in the event's zone
    assert b"<b>Bring questions.</b>" not in page and b"&lt;b&gt;Bring questions." in page


def test_winter_time_and_other_zone(app, signed_in):
    signed_in.post("/events/new", data=form_data(timezone="America/New_York",
                                                  starts_local="2030-01-15T19:00", ends_local="2030-01-15T21:00"))
    assert only_event(app).starts_at == datetime(2030, 1, 16, 0, 0, tzinfo=timezone.utc)


def test_time_skipped_by_clock_change_is_refused(app, signed_in):
    response = signed_in.post("/events/new", data=form_data(starts_local="2030-03-31T01:30",
                                                             ends_local="2030-03-31T04:00"))
    assert response.status_code == 422
    assert b"does not exist in Europe/London" in response.data
    assert event_count(app) == 0


@pytest.mark.parametrize("overrides, message", [
    ({"title": ""}, b"This field is required"),
    ({"ends_local": "2030-07-01T18:30"}, b"The end must be after the start"),
    ({"ends_local": "2030-07-01T17:00"}, b"The end must be after the start"),
    ({"starts_local": "tomorrow"}, b"Not a valid datetime value"),
    ({"capacity": "0"}, b"Between 1 and 500 guests"),
    ({"capacity": "501"}, b"Between 1 and 500 guests"),
    ({"capacity": "lots"}, b"Not a valid integer value"),
    ({"timezone": "Mars/Olympus_Mons"}, b"Not a valid choice"),
    ({"followup_cadence_days": "7,x"}, b"is not a number of days"),
    ({"followup_cadence_days": "30,7"}, b"increasing order"),
    ({"followup_cadence_days": "0"}, b"between 1 and 730"),
    ({"followup_first_hours": "0"}, b"Between 1 and 1440 hours"),
])
def test_invalid_event_form_is_refused_clearly_and_saves_nothing(app, signed_in, overrides, message):
    response = signed_in.post("/events/new", data=form_data(**overrides))
    assert response.status_code == 422
    assert message in response.data
    assert event_count(app) == 0


def test_new_form_defaults(signed_in):
    page = signed_in.get("/events/new").data.decode()
    assert '<option selected value="Europe/London">' in page
    assert 'value="7,30,90"' in page
    assert 'value="48"' in page


def test_same_title_gets_a_distinct_slug(app, signed_in):
    signed_in.post("/events/new", data=form_data(title="Supper"))
    signed_in.post("/events/new", data=form_data(title="Supper"))
    with app.app_context():
        slugs = db.session.scalars(select(Event.slug)).all()
    assert len(set(slugs)) == 2 and "supper" in slugs


def test_edit_prefills_local_times_and_saves_changes(app, signed_in, make_event):
    event = make_event(timezone="Europe/Amsterdam", starts_at=datetime(2030, 7, 1, 16, 0, tzinfo=timezone.utc),
                       ends_at=datetime(2030, 7, 1, 19, 0, tzinfo=timezone.utc))
    page = signed_in.get(f"/events/{event.id}/edit").data.decode()
    assert 'value="2030-07-01T18:00"' in page  # Amsterdam is UTC+2 in summer
    assert f'value="{event.title}"' in page
    response = signed_in.post(f"/events/{event.id}/edit", data=form_data(
        title="Renamed", timezone="Europe/Amsterdam", starts_local="2030-07-01T19:00", ends_local="2030-07-01T23:00",
        capacity="12"))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert (stored.title, stored.capacity, stored.slug) == ("Renamed", 12, event.slug)
        assert stored.starts_at == datetime(2030, 7, 1, 17, 0, tzinfo=timezone.utc)
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.updated")).one()
        assert "title" in entry.details["fields"]


def test_invalid_edit_changes_nothing(app, signed_in, event):
    response = signed_in.post(f"/events/{event.id}/edit", data=form_data(title="New", capacity="9999"))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Event, event.id).title == event.title


def test_list_shows_own_and_co_organised_by_start_in_one_query(app, client, login, organiser, make_organiser,
                                                               make_event, count_queries):
    other = make_organiser()
    late = make_event(title="Late one", starts_at=datetime(2031, 5, 1, tzinfo=timezone.utc))
    early = make_event(title="Early one", starts_at=datetime(2030, 5, 1, tzinfo=timezone.utc))
    shared = make_event(owner=other, title="Shared one", starts_at=datetime(2030, 9, 1, tzinfo=timezone.utc))
    make_event(owner=other, title="Not mine")
    login(organiser)
    refused = client.post(f"/events/{shared.id}/organisers", data={"email": organiser.email})
    assert refused.status_code == 404  # cannot add themselves to someone else's gathering
    login(other, on=client)
    client.post(f"/events/{shared.id}/organisers", data={"email": organiser.email})
    login(organiser, on=client)
    with count_queries() as counter:
        page = client.get("/events/").data.decode()
    assert "Not mine" not in page
    assert page.index("Early one") < page.index("Shared one") < page.index("Late one")
    assert "co-organiser" in page
    assert counter.count <= 3  # organiser, events with counts (no query per event)
    assert [early.title, late.title] == ["Early one", "Late one"]


def test_list_query_count_does_not_grow_with_events(client, login, organiser, make_event, make_attendee,
                                                    count_queries):
    login(organiser)
    make_attendee(make_event())
    with count_queries() as one:
        client.get("/events/")
    for _ in range(5):
        make_attendee(make_event())
    with count_queries() as six:
        page = client.get("/events/")
    assert page.status_code == 200
    assert six.count == one.count


def test_add_and_remove_tags(app, signed_in, event):
    response = signed_in.post(f"/events/{event.id}/tags", data={"names": "  Carbon   removal , Grants"})
    assert response.status_code == 302
    with app.app_context():
        names = db.session.scalars(select(Tag.name).where(Tag.event_id == event.id)).all()
        assert {"Carbon removal", "Grants"} <= set(names)
        tag_id = db.session.scalars(select(Tag.id).where(Tag.name == "Grants")).one()
    signed_in.post(f"/events/{event.id}/tags/{tag_id}/delete")
    with app.app_context():
        assert db.session.get(Tag, tag_id) is None


@pytest.mark.parametrize("names, message", [
    ("rust", "already a topic tag"),
    ("New, new", "already a topic tag"),
    ("x" * 61, "at most 60 characters"),
    (" , ", "Type a tag first"),
])
def test_bad_tags_are_refused_and_nothing_is_added(app, signed_in, event, names, message):
    response = signed_in.post(f"/events/{event.id}/tags", data={"names": names}, follow_redirects=True)
    assert message in response.data.decode()
    with app.app_context():
        assert db.session.scalar(select(func.count(Tag.id)).where(Tag.event_id == event.id)) == 6


def test_tag_used_by_an_intent_cannot_be_removed(app, signed_in, event, make_attendee, make_intent):
    intent = make_intent(make_attendee(event), "offer", "Rust", "I review Rust code")
    response = signed_in.post(f"/events/{event.id}/tags/{intent.tag_id}/delete", follow_redirects=True)
    assert "cannot be removed" in response.data.decode()
    with app.app_context():
        assert db.session.get(Tag, intent.tag_id) is not None


def test_tag_of_another_event_is_404(app, signed_in, event, make_event, make_organiser):
    foreign = make_event(owner=make_organiser())
    with app.app_context():
        tag_id = db.session.scalars(select(Tag.id).where(Tag.event_id == foreign.id)).first()
    assert signed_in.post(f"/events/{event.id}/tags/{tag_id}/delete").status_code == 404
    with app.app_context():
        assert db.session.get(Tag, tag_id) is not None


def test_show_page_lists_details_tags_and_organisers(signed_in, event, organiser):
    page = signed_in.get(f"/events/{event.id}").data.decode()
    for text in (event.title, event.venue, "Europe/Amsterdam", "Design feedback", organiser.email,
                 "Close registration", "Back to draft"):
        assert text in page


def test_calendar_file_has_utc_times_and_escaped_text(app, signed_in, make_event):
    event = make_event(title="Supper, with; commas", starts_at=datetime(2030, 7, 1, 16, 0, tzinfo=timezone.utc),
                       ends_at=datetime(2030, 7, 1, 19, 30, tzinfo=timezone.utc))
    response = signed_in.get(f"/events/{event.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert f'filename="{event.slug}.ics"' in response.headers["Content-Disposition"]
    body = response.data.decode()
    assert "DTSTART:20300701T160000Z" in body and "DTEND:20300701T193000Z" in body
    assert r"SUMMARY:Supper\, with\; commas" in body
    assert f"UID:event-{event.id}-{event.slug}@eventkit.test" in body
    assert "LOCATION:The Long Table\\, 12 Canal Street" in body


def test_list_separates_upcoming_from_past(signed_in, make_event):
    make_event(title="Last year", starts_at=datetime(2020, 5, 1, tzinfo=timezone.utc))
    make_event(title="Next year", starts_at=datetime(2099, 5, 1, tzinfo=timezone.utc))
    page = signed_in.get("/events/").data.decode()
    assert page.index("Upcoming") < page.index("Next year") < page.index("Past") < page.index("Last year")
