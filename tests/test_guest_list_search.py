"""Guest list: search, filters, sort and pages from the query string; explicit status choice; bulk actions."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eventkit.attendees import listing
from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.db import db, utcnow


@pytest.fixture
def signed_in(login, organiser):
    login(organiser)


def names(html: str) -> list[str]:
    return re.findall(r'<td data-label="Name">([^<]+)', html)


def listed(client, event, **args) -> list[str]:
    response = client.get(f"/events/{event.id}/guests", query_string=args)
    assert response.status_code == 200
    return names(response.get_data(as_text=True))


def statuses(app, *guests) -> list[str]:
    with app.app_context():
        return [db.session.get(Attendee, guest.id).status for guest in guests]


def test_search_by_name_ignores_case_and_accents_and_by_email(client, event, make_attendee, signed_in):
    make_attendee(event, name="Émile Zola", email="emile@novel.fr")
    make_attendee(event, name="Ada Lovelace", email="ada@engine.uk")
    assert listed(client, event, q="EMILE") == ["Émile Zola"]
    assert listed(client, event, q="engine.uk") == ["Ada Lovelace"]
    assert listed(client, event, q="100%_") == []
    page = client.get(f"/events/{event.id}/guests?q=nobody").get_data(as_text=True)
    assert "No guest matches these filters" in page and "Show everyone" in page


def test_filters_by_status_readiness_and_check_in(client, event, make_attendee, make_intent, signed_in):
    ready = make_attendee(event, name="Ready Rita", role="CTO", organisation="Kelp", field="Climate", bio="Builds.")
    make_intent(ready, "offer", "Rust")
    make_attendee(event, name="Waiting Will", status="waitlisted")
    make_attendee(event, name="Arrived Ann", checked_in_at=utcnow())
    assert listed(client, event, status="waitlisted") == ["Waiting Will"]
    assert listed(client, event, ready="ready") == ["Ready Rita"]
    assert sorted(listed(client, event, ready="not_ready")) == ["Arrived Ann", "Waiting Will"]
    assert listed(client, event, checked="in") == ["Arrived Ann"]
    assert listed(client, event, checked="out", status="registered") == ["Ready Rita"]
    assert len(listed(client, event, status="bogus", ready="maybe", sort="evil")) == 3  # unknown values: ignored


def test_sort_and_pages_keep_the_query(client, event, make_attendee, signed_in, monkeypatch):
    for name in ("Cleo", "Ada", "Ben", "Dora"):
        make_attendee(event, name=name)
    assert listed(client, event) == ["Cleo", "Ada", "Ben", "Dora"]  # the order they were added
    assert listed(client, event, sort="name") == ["Ada", "Ben", "Cleo", "Dora"]
    assert listed(client, event, sort="-name") == ["Dora", "Cleo", "Ben", "Ada"]
    monkeypatch.setattr(listing, "PER_PAGE", 3)
    first = client.get(f"/events/{event.id}/guests?sort=name&status=registered").get_data(as_text=True)
    assert names(first) == ["Ada", "Ben", "Cleo"] and "Showing 1–3 of 4 guests" in first
    assert re.search(r'href="/events/\d+/guests\?[^"]*page=2[^"]*"', first)
    link = re.search(r'href="(/events/\d+/guests\?[^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert "sort=name" in link and "status=registered" in link
    assert names(client.get(link).get_data(as_text=True)) == ["Dora"]


def test_status_select_starts_on_an_explicit_choice_and_confirms_place_taking(client, event, make_attendee,
                                                                               signed_in, app):
    guest = make_attendee(event, name="Ada")
    page = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    row = page[page.index(f'id="action-{guest.id}"'):]
    row = row[:row.index("</select>")]
    assert '<option value="" selected>Change status…</option>' in row
    assert re.search(r'<option value="waitlist" data-confirm="Waitlist: Ada\?[^"]*loses it', row)
    assert re.search(r'<option value="cancel" data-confirm="Cancel: Ada\?', row)
    assert '<option value="approve">' in row  # approving takes no place away: no question
    assert 'src="/static/attendees.js"' in page
    # Apply without choosing changes nothing
    response = client.post(f"/events/{event.id}/guests/{guest.id}/status", data={"action": ""})
    assert response.status_code == 302 and statuses(app, guest) == ["registered"]


def test_add_and_import_come_before_the_rows(client, event, make_attendee, signed_in):
    make_attendee(event, name="Ada")
    page = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    rows = page.index('<td data-label="Name">Ada')
    assert page.index("Import a CSV") < rows and page.index("Add and invite") < rows
    assert '<details class="fold" id="add">' in page  # folded once there are guests


def test_add_form_is_open_on_an_empty_list_and_after_an_error(client, event, signed_in):
    page = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    assert '<details class="fold" id="add" open>' in page and "No guests yet" in page
    response = client.post(f"/events/{event.id}/guests", data={"name": "", "email": "nope"})
    assert response.status_code == 422 and '<details class="fold" id="add" open>' in response.get_data(as_text=True)


def test_bulk_action_applies_to_every_selected_guest(client, app, event, make_attendee, signed_in):
    ada, ben, cleo = (make_attendee(event, name=n, status="invited") for n in ("Ada", "Ben", "Cleo"))
    response = client.post(f"/events/{event.id}/guests/bulk?status=invited",
                           data={"action": "approve", "ids": [ada.id, ben.id]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/guests?status=invited")
    assert statuses(app, ada, ben, cleo) == ["approved", "approved", "invited"]
    with app.app_context():
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attendee.status")).all()


def test_bulk_action_is_all_or_nothing(client, app, event, make_attendee, signed_in):
    ada = make_attendee(event, name="Ada", status="invited")
    gone = make_attendee(event, name="Gone Gus", status="declined")
    response = client.post(f"/events/{event.id}/guests/bulk", data={"action": "decline", "ids": [ada.id, gone.id]},
                           follow_redirects=True)
    assert "Cannot mark declined Gone Gus (declined). Nothing was changed." in response.get_data(as_text=True)
    assert statuses(app, ada, gone) == ["invited", "declined"]


def test_bulk_refuses_other_events_guests_empty_selection_and_no_action(client, app, event, make_event,
                                                                        make_attendee, signed_in):
    ada = make_attendee(event, name="Ada", status="invited")
    stranger = make_attendee(make_event(), name="Stranger", status="invited")
    page = client.post(f"/events/{event.id}/guests/bulk", data={"action": "cancel", "ids": [ada.id, stranger.id]},
                       follow_redirects=True).get_data(as_text=True)
    assert "not on this guest list" in page
    page = client.post(f"/events/{event.id}/guests/bulk", data={"action": "cancel"}, follow_redirects=True)
    assert "Select at least one guest first." in page.get_data(as_text=True)
    page = client.post(f"/events/{event.id}/guests/bulk", data={"action": "", "ids": [ada.id]}, follow_redirects=True)
    assert "Choose what to do with the selected guests." in page.get_data(as_text=True)
    assert statuses(app, ada, stranger) == ["invited", "invited"]


def test_bulk_approve_respects_capacity_and_bulk_waitlist_offers_places_to_others(client, app, make_event,
                                                                                  make_attendee, signed_in):
    event = make_event(capacity=2)
    ada, ben = make_attendee(event, name="Ada"), make_attendee(event, name="Ben")
    waiting = [make_attendee(event, name=f"Wait {n}", status="waitlisted") for n in range(2)]
    page = client.post(f"/events/{event.id}/guests/bulk", data={"action": "approve", "ids": [w.id for w in waiting]},
                       follow_redirects=True).get_data(as_text=True)
    assert "Not enough places for 2 more guests" in page
    assert statuses(app, *waiting) == ["waitlisted", "waitlisted"]
    client.post(f"/events/{event.id}/guests/bulk", data={"action": "waitlist", "ids": [ada.id, ben.id]})
    assert statuses(app, ada, ben) == ["waitlisted", "waitlisted"]
    assert statuses(app, *waiting) == ["invited", "invited"]  # the longest waiting, not the two just moved


def test_bulk_form_confirms_place_taking_actions(client, event, make_attendee, signed_in):
    make_attendee(event)
    page = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    bulk = page[page.index('id="bulk"'):page.index("Apply to selected")]
    assert 'required data-confirm-options' in bulk and '<option value="" selected>Choose an action…</option>' in bulk
    for action in ("waitlist", "decline", "cancel"):
        assert re.search(rf'<option value="{action}" data-confirm="[^"]+">', bulk)
    assert 'form="bulk"' in page and 'data-select-all="bulk"' in page


def test_filtered_list_query_count_does_not_grow_with_guests(client, event, make_attendee, make_intent, signed_in,
                                                             count_queries):
    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/events/{event.id}/guests?q=guest&ready=not_ready&sort=-name").status_code == 200
        return counter.count

    make_intent(make_attendee(event), "offer", "Rust")
    few = queries()
    for _ in range(8):
        make_intent(make_attendee(event, checked_in_at=utcnow()), "seek", "Hiring")
    assert queries() == few
