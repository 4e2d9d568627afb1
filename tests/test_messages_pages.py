"""The organiser's messages pages: compose with preview, send, schedule, edit, cancel, the switch, access, queries."""
from __future__ import annotations

import re
from datetime import timedelta

from messages_support import STARTS, gathering, messages, outbox

from eventkit.db import db, utcnow
from eventkit.messages.models import MessageSettings


def _form(**values) -> dict:
    base = {"template": "custom", "subject": "Parking", "body": "Park at the back, {name}.", "audience": "place",
            "schedule": "now", "at": "", "hours": ""}
    base.update(values)
    return base


def test_preview_shows_the_exact_count_and_first_recipients_and_writes_nothing(app, client, login, organiser,
                                                                              make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    page = client.post(f"/events/{g.event.id}/messages/new", data=_form(preview="1"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Preview: 4 guests" in html and "Send to 4 guests" in html
    preview = html.split('class="card message-preview"')[1].split("</section>")[0]
    assert "Anna Approved" in preview and "Walt Waiting" not in preview
    assert "Park at the back, Anna Approved." in preview  # the first recipient's text
    assert 'name="expected" type="hidden" value="4"' in html
    assert messages(app) == [] and outbox(app) == []


def test_sending_from_the_page_queues_the_emails_and_shows_their_delivery(app, client, login, organiser,
                                                                         make_event, make_attendee, deliver):
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    sent = client.post(f"/events/{g.event.id}/messages/new", data=_form(save="1", expected="4"))
    assert sent.status_code == 302
    assert len(outbox(app)) == 4
    deliver()
    [message] = messages(app)
    page = client.get(f"/events/{g.event.id}/messages/{message.id}").get_data(as_text=True)
    assert "4 delivered, 0 waiting, 0 failed" in page
    listing = client.get(f"/events/{g.event.id}/messages").get_data(as_text=True)
    assert "Parking" in listing and "4 sent" in listing


def test_a_changed_audience_is_shown_again_instead_of_sent(app, client, login, organiser, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    page = client.post(f"/events/{g.event.id}/messages/new", data=_form(save="1", expected="3"))
    assert page.status_code == 409
    assert "The audience changed since the preview: it is now 4 guests" in page.get_data(as_text=True)
    assert messages(app) == [] and outbox(app) == []


def test_bad_input_is_a_clear_message_not_a_500(app, client, login, organiser, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    for values, words in [({"schedule": "at", "at": "2001-01-01T10:00"}, "That time has passed"),
                          ({"schedule": "before_start", "hours": ""}, "Give a number of hours"),
                          ({"audience": "picked"}, "Pick at least one guest"),
                          ({"audience": "nobody"}, "Please correct the highlighted fields")]:
        page = client.post(f"/events/{g.event.id}/messages/new", data=_form(save="1", **values))
        assert page.status_code == 400, values
        assert words in page.get_data(as_text=True)
    assert messages(app) == []


def test_schedule_edit_and_cancel_from_the_pages(app, client, login, organiser, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    client.post(f"/events/{g.event.id}/messages/new", data=_form(save="1", schedule="before_start", hours="6"))
    [message] = messages(app)
    assert message.status == "scheduled" and message.send_at == STARTS - timedelta(hours=6)
    edit = client.get(f"/events/{g.event.id}/messages/{message.id}/edit").get_data(as_text=True)
    assert 'value="Parking"' in edit
    client.post(f"/events/{g.event.id}/messages/{message.id}/edit",
                data=_form(save="1", subject="Parking moved", schedule="at", at="2030-06-01T09:15"))
    [message] = messages(app)
    assert message.subject == "Parking moved" and message.send_at.hour == 7  # 09:15 in Amsterdam is 07:15 UTC
    client.post(f"/events/{g.event.id}/messages/{message.id}/cancel")
    [message] = messages(app)
    assert message.status == "cancelled"
    again = client.post(f"/events/{g.event.id}/messages/{message.id}/cancel", follow_redirects=True)
    assert "cancelled already" in again.get_data(as_text=True)
    assert outbox(app) == []


def test_ready_templates_prefill_the_compose_form(app, client, login, organiser, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    page = client.get(f"/events/{g.event.id}/messages/new?template=missed_you").get_data(as_text=True)
    assert "We missed you at {title}" in page  # filled in with the gathering's title when it goes
    assert re.search(r'<input checked[^>]*value="after_end"', page) and re.search(r'<input checked[^>]*value="no_show"', page)


def test_the_day_before_switch(app, client, login, organiser, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee, day_before=True)
    login(organiser)
    assert "Day-before reminder: on" in client.get(f"/events/{g.event.id}").get_data(as_text=True)
    client.post(f"/events/{g.event.id}/messages/day-before", data={})
    with app.app_context():
        assert db.session.get(MessageSettings, g.event.id).day_before_reminder is False
    assert "Day-before reminder: off" in client.get(f"/events/{g.event.id}").get_data(as_text=True)


def test_another_organisers_messages_are_not_found(app, client, login, make_organiser, make_event, make_attendee,
                                                   organiser):
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    client.post(f"/events/{g.event.id}/messages/new", data=_form(save="1", schedule="before_start", hours="6"))
    [message] = messages(app)
    login(make_organiser())
    for url in (f"/events/{g.event.id}/messages", f"/events/{g.event.id}/messages/{message.id}",
                f"/events/{g.event.id}/messages/new"):
        assert client.get(url).status_code == 404
    assert client.post(f"/events/{g.event.id}/messages/{message.id}/cancel").status_code == 404
    assert messages(app)[0].status == "scheduled"


def test_the_messages_page_runs_a_fixed_number_of_queries(app, client, login, organiser, make_event, make_attendee,
                                                          count_queries):
    g = gathering(app, make_event, make_attendee)
    login(organiser)

    def measure():
        with count_queries() as counter:
            assert client.get(f"/events/{g.event.id}/messages").status_code == 200
        return counter.count

    client.post(f"/events/{g.event.id}/messages/new", data=_form(save="1"))
    small = measure()
    for n in range(5):
        client.post(f"/events/{g.event.id}/messages/new", data=_form(save="1", subject=f"Note {n}", schedule="after_end",
                                                                    hours=str(n)))
    assert measure() == small
    assert utcnow()  # the clock is the real one: the gathering is in 2030


def test_the_compose_preview_runs_a_fixed_number_of_queries(app, client, login, organiser, make_event, make_attendee,
                                                            count_queries):
    g = gathering(app, make_event, make_attendee)
    login(organiser)

    def measure(audience):
        with count_queries() as counter:
            page = client.post(f"/events/{g.event.id}/messages/new", data=_form(preview="1", audience=audience))
            assert page.status_code == 200
        return counter.count

    small = {audience: measure(audience) for audience in ("place", "unready")}
    for n in range(15):
        make_attendee(g.event, f"Extra {n}")
    assert {audience: measure(audience) for audience in ("place", "unready")} == small


def test_the_organisers_pages_show_a_subject_with_the_gatherings_title_put_in(app, client, login, organiser,
                                                                             make_event, make_attendee):
    """A ready template keeps {title} until it is sent; the lists show what the guests will read."""
    g = gathering(app, make_event, make_attendee)
    login(organiser)
    assert client.post(f"/events/{g.event.id}/messages/new",
                       data=_form(subject="{title}: parking for {name}", schedule="at",
                                  at=(STARTS - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
                                  save="1", expected="4")).status_code == 302
    [message] = messages(app)
    listed = f"{g.event.title}: parking for {{name}}"
    for url in (f"/events/{g.event.id}/messages", f"/events/{g.event.id}/messages/{message.id}",
                f"/events/{g.event.id}"):
        html = client.get(url).get_data(as_text=True)
        assert listed in html and "{title}" not in html, url
