"""The plan page: sections to jump between, disabled controls that are disabled, a network readable at 80 guests."""
from __future__ import annotations

import math
import re

from eventkit.matching.forms import SettingsForm
from eventkit.matching.network import FONT_SIZE, network_svg
from tests.matching_helpers import four_guests

SETTINGS = {"settings-rounds": "2", "settings-round_minutes": "12", "settings-per_guest_cap": "3",
            "settings-odd_policy": "trio"}


def test_plan_page_has_a_jump_nav_to_its_sections(client, login, organiser, event, make_attendee, make_intent):
    four_guests(make_attendee, make_intent, event)
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    page = client.get(f"/events/{event.id}/plan").get_data(as_text=True)
    nav = page[page.index('<nav class="jump" aria-label="On this page">'):]
    nav = nav[:nav.index("</nav>")]
    targets = re.findall(r'href="#([a-z-]+)"', nav)
    assert targets == ["settings", "rounds", "guests", "network", "constraints"]
    for target in targets:
        assert f'id="{target}"' in page
    assert '<details class="fold card round-fold" id="round-1" open>' in page  # the next round to hold is open
    assert '<details class="fold card round-fold" id="round-2">' in page
    assert "Re-plan rounds 1 onward" in page and "disabled" not in page[page.index('id="settings"'):page.index(
        "Re-plan rounds")]


def test_replan_is_disabled_and_says_why_when_locked(client, login, organiser, event, make_attendee, make_intent):
    four_guests(make_attendee, make_intent, event)
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    client.post(f"/events/{event.id}/plan/lock")
    page = client.get(f"/events/{event.id}/plan").get_data(as_text=True)
    button = re.search(r'<button type="submit"([^>]*)>\s*Re-plan', page).group(1)
    assert "disabled" in button and 'aria-disabled="true"' in button and 'class="disabled"' in button
    assert "unlock it above to re-plan" in page


def test_odd_guest_choices_are_short_enough_to_show(app):
    with app.test_request_context("/"):
        labels = [label for _value, label, *_ in SettingsForm(prefix="settings").odd_policy.iter_choices()]
    assert labels == ["a table of three", "one guest rests"] and max(map(len, labels)) <= 18


def test_network_labels_do_not_overlap_at_80_guests():
    guests = [(i, f"Guest number {i} with a rather long name") for i in range(80)]
    svg = str(network_svg(guests, [(1, i, i + 1) for i in range(0, 80, 2)]))
    labels = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" font-size="(\d+)"[^>]*transform="rotate\(([-\d.]+) ', svg)
    assert len(labels) == 80 and all(int(size) == FONT_SIZE for *_, size, _ in labels)
    points = [(float(x), float(y)) for x, y, *_ in labels]
    gaps = [math.dist(points[i], points[(i + 1) % 80]) for i in range(80)]
    assert min(gaps) >= FONT_SIZE  # radial labels: neighbours' baselines at least a line apart
    assert ">Guest number 7 with a…</text>" in svg  # long names are cut on the drawing
    assert svg.count("<title>Guest number 7 with a rather long name</title>") == 1  # the full name as tooltip
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    assert all(0 <= x <= size and 0 <= y <= size for x, y in points)
