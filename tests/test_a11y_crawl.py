"""The accessibility crawl: every page an organiser, a guest and a door volunteer reach in the demo gathering.

The demo is seeded once, then moved through its phases (draft, open, during: started with some guests
checked in, finished). In each phase each audience's browser context (one per audience, kept for the whole
crawl, so the sessions last) follows the same-origin GET links from its entry point, breadth first:
the organiser from "My gatherings", the guest from their page (signed in by their personal link), the door
volunteer from the door page. So a page added later is crawled as soon as something links to it.

Every page is looked at twice in one visit, at 1366 px and at 390 px wide, and fails the test on:
a horizontal overflow, a console error (a CSP refusal is one), an axe-core violation of impact serious or
critical (axe's default rules plus WCAG 2.2's target size: controls at least 24 x 24 px), a link that
answers 404 (or 5xx), a page without exactly one top bar and the skip link, and (for the guest) a guest
page without "My page" and "Sign out" in its bar.

To stay fast, the browser visits at most SAMPLES pages of each kind (same route and query keys) per phase and
audience, e.g. two guests' directory entries; every other link of that kind is still fetched (in the same
context, with its cookies) and must not answer 404 or 5xx. PDFs are rendered by tests/test_crawl_links.py.

axe-core (tests/assets/axe-core/, from npm) is injected with `BrowserContext.add_init_script(path=...)`,
which the page's Content-Security-Policy does not apply to (DevTools' addScriptToEvaluateOnNewDocument);
`Page.add_script_tag(path=...)` inserts an inline <script>, which the policy refuses (checked below).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
from browser_fixtures import BROWSER, CHROMIUM
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.checkin.doors import create_door_link, door_for_secret
from eventkit.checkin.services import check_in_guest
from eventkit.db import db, utcnow
from eventkit.demo.services import seed_demo
from eventkit.events.models import Event
from eventkit.events.services import change_status

AXE = Path(__file__).resolve().parent / "assets" / "axe-core" / "axe.min.js"
WIDTHS = (1366, 390)
HEIGHT = 900
#: pages of one kind (route + query keys) the browser checks per phase and audience
SAMPLES = 2
SKIP_SUFFIXES = (".pdf",)
BLOCKING = ("serious", "critical")

pytestmark = [*BROWSER, pytest.mark.quiet_access_log]

#: run in the page (by DevTools, so the page's CSP does not apply): what overflows, and axe's findings
OVERFLOW = """() => {
  const root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth <= width) return [];
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                ' right=' + Math.round(box.right));
      if (wide.length >= 5) break;
    }
  }
  return [`scrollWidth ${root.scrollWidth} > ${width}`, ...wide];
}"""
AXE_RUN = """async (blocking) => {
  const result = await axe.run(document, {resultTypes: ['violations'], rules: {'target-size': {enabled: true}}});
  return result.violations.filter(v => blocking.includes(v.impact)).map(v =>
    `${v.impact} ${v.id}: ${v.help} -> ` + v.nodes.slice(0, 4).map(n => n.target.join(' ') +
      (n.failureSummary ? ' [' + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 160) + ']' : '')).join(' | '));
}"""
BARS = """() => ({
  bars: document.querySelectorAll('header.topbar').length,
  skip: !!document.querySelector('a.skip-link[href="#main"]') && !!document.getElementById('main'),
  guestBar: document.querySelector('header.guest-bar') ? document.querySelector('header.guest-bar').innerText : null,
})"""


@dataclass
class Audience:
    name: str
    start: str
    context: object = None
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def demo(app):
    """The seeded demo: organiser email and password, event id and slug, a guest's link path, a door secret."""
    with app.app_context():
        seeded = seed_demo()
        _link, secret = create_door_link(seeded.event, "Front door", seeded.organiser)
        db.session.commit()
        return dict(email=seeded.organiser.email, password=seeded.password, event_id=seeded.event.id,
                    slug=seeded.event.slug, guest_path=urlsplit(seeded.guest_link).path, door_secret=secret)


def move_to(app, demo, phase: str) -> None:
    """Move the demo gathering to a phase: draft, open, during (started, some guests in), finished."""
    with app.app_context():
        event = db.session.get(Event, demo["event_id"])
        now = utcnow()
        if phase == "draft":
            change_status(event, "draft", event.owner, now)
        elif phase == "open":
            change_status(event, "open", event.owner, now)
        elif phase == "during":
            event.starts_at = now - timedelta(minutes=45)
            event.ends_at = now + timedelta(hours=2)
            db.session.flush()
            door = door_for_secret(demo["door_secret"])
            coming = db.session.scalars(db.select(Attendee).where(
                Attendee.event_id == event.id,
                Attendee.status.in_([AttendeeStatus.REGISTERED, AttendeeStatus.APPROVED])).order_by(Attendee.id))
            for number, guest in enumerate(list(coming)[:7]):
                check_in_guest(door, guest.id, f"a11y-crawl-{number:04d}", now)
        elif phase == "finished":
            change_status(event, "closed", event.owner, now)
            change_status(event, "finished", event.owner, now)
        db.session.commit()


def kind_of(app, path: str) -> tuple | None:
    """(endpoint, sorted query keys) of a same-site GET path, or None when no route serves it."""
    parts = urlsplit(path)
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method="GET")
    except RequestRedirect:
        return ("(redirect)", parts.path)
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint, tuple(sorted({key for key, _value in parse_qsl(parts.query)}))


def same_site(base: str, url: str) -> str | None:
    url, _fragment = urldefrag(url)
    if not url.startswith(base + "/"):
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def check_page(page, base: str, path: str, audience: Audience, problems: list[str]) -> list[str]:
    """Visit `path` at both widths; record what fails; return the same-site links it has."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
    response = page.goto(base + path, wait_until="load")
    where = f"[{audience.name}] {path}"
    if response is None or response.status == 404 or response.status >= 500:
        problems.append(f"{where} answered {response.status if response else 'nothing'}")
        return []
    for width in WIDTHS:
        if width != WIDTHS[0]:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            problems.append(f"{where} @{width}px overflows: {'; '.join(overflow)}")
        for violation in page.evaluate(AXE_RUN, list(BLOCKING)):
            problems.append(f"{where} @{width}px axe {violation}")
    bars = page.evaluate(BARS)
    if bars["bars"] != 1 or not bars["skip"]:
        problems.append(f"{where}: {bars['bars']} top bars, skip link {'ok' if bars['skip'] else 'missing'}")
    if audience.name == "guest" and urlsplit(path).path.startswith("/e/") and response.status < 400:
        text = bars["guestBar"] or ""
        if "My page" not in text or "Sign out" not in text:
            problems.append(f"{where}: the guest bar lacks My page / Sign out ({text!r})")
    for text in console:
        problems.append(f"{where} console error: {text}")
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    return [p for href in hrefs if (p := same_site(base, href)) is not None]


def crawl(app, base: str, audience: Audience, phase: str, problems: list[str]) -> int:
    """Breadth-first over `audience`'s pages; returns how many pages the browser checked."""
    seen = {audience.start}
    queue = deque([audience.start])
    checked_per_kind: dict[tuple, int] = {}
    checked = 0
    while queue:
        path = queue.popleft()
        kind = kind_of(app, path)
        if kind is None:
            problems.append(f"[{audience.name}/{phase}] {path} is not a route")
            continue
        if urlsplit(path).path.endswith(SKIP_SUFFIXES):
            continue
        if checked_per_kind.get(kind, 0) >= SAMPLES or is_file(path):
            status = audience.context.request.get(base + path, max_redirects=0).status
            if status == 404 or status >= 500:
                problems.append(f"[{audience.name}/{phase}] {path} answered {status}")
            continue
        checked_per_kind[kind] = checked_per_kind.get(kind, 0) + 1
        checked += 1
        page = audience.context.new_page()
        try:
            before = len(problems)
            links = check_page(page, base, path, audience, problems)
            for index in range(before, len(problems)):
                problems[index] = problems[index].replace(f"[{audience.name}]", f"[{audience.name}/{phase}]", 1)
        finally:
            page.close()
        for link in links:
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return checked


def is_file(path: str) -> bool:
    """A download (calendar.ics, guests.csv, my-data.json...), not a page: fetched for its status only."""
    return "." in urlsplit(path).path.rsplit("/", 1)[-1]


def test_add_script_tag_is_refused_by_the_csp_and_the_init_script_is_not(app, live_server):
    """Why the crawl injects axe-core with add_init_script: an inline script tag is refused by the policy."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        try:
            context = browser.new_context()
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            page.goto(f"{live_server}/auth/login")
            assert page.evaluate("() => typeof axe.run") == "function"
            other = browser.new_page()
            other.goto(f"{live_server}/auth/login")
            with pytest.raises(Error):
                other.add_script_tag(path=str(AXE))  # Playwright inlines the file: the CSP refuses it
            assert other.evaluate("() => typeof window.axe") == "undefined"
        finally:
            browser.close()


def test_every_page_of_every_audience_in_every_phase_is_accessible(app, demo, live_server):
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    problems: list[str] = []
    counts: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        try:
            audiences = [Audience("organiser", "/events/"), Audience("guest", f"/e/{demo['slug']}/me"),
                         Audience("door", f"/door/{demo['door_secret']}")]
            for audience in audiences:
                audience.context = browser.new_context(viewport={"width": WIDTHS[0], "height": HEIGHT})
                audience.context.add_init_script(path=str(AXE))
            sign_in = audiences[0].context.new_page()
            sign_in.goto(f"{live_server}/auth/login")
            sign_in.get_by_label("Email").fill(demo["email"])
            sign_in.get_by_label("Password").fill(demo["password"])
            sign_in.get_by_role("button", name="Sign in").click()
            sign_in.wait_for_url(f"{live_server}/events/**")
            sign_in.close()
            personal = audiences[1].context.new_page()
            personal.goto(live_server + demo["guest_path"])
            assert urlsplit(personal.url).path == f"/e/{demo['slug']}/me"
            personal.close()
            for phase in ("draft", "open", "during", "finished"):
                move_to(app, demo, phase)
                for audience in audiences:
                    counts[f"{audience.name}/{phase}"] = crawl(app, live_server, audience, phase, problems)
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    print(f"a11y crawl: {sum(counts.values())} page visits in {elapsed:.0f} s: {counts}")
    assert all(count > 0 for count in counts.values()), counts
    assert counts["organiser/finished"] >= 8 and counts["guest/open"] >= 5, counts
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
