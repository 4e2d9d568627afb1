"""The offline door page in Debian's Chromium: two phones (browser contexts) lose the network, check
guests in by themselves, come back and sync; the server counts every guest once, at the earliest
scan, and keeps the double admission as a conflict. A revoked link's phone then wipes its copy.

Each phone is its own Chromium (the fake camera plays one Y4M file per browser): first blank frames,
during which the page loads online, caches itself and downloads the door's dataset; the test then
takes the context offline and reloads (the service worker serves the page); then the QR codes.
"""
from __future__ import annotations

import io
import re
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from browser_fixtures import BROWSER, CHROMIUM
from PIL import Image
from sqlalchemy import select

from eventkit.checkin import doors
from eventkit.checkin.models import CheckIn, DoorConflict
from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.qr import checkin_url, qr_png

WIDTH, HEIGHT, FPS = 480, 360, 2
BLANK_SECONDS = 12

pytestmark = BROWSER

QUEUE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("eventkit-door");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction(["datasets", "queue"]), out = {};
    tx.objectStore("queue").getAll().onsuccess = (e) => { out.queue = e.target.result; };
    tx.objectStore("datasets").count().onsuccess = (e) => { out.datasets = e.target.result; };
    tx.oncomplete = () => { open.result.close(); resolve(out); };
  };
})"""
UNCACHED_FETCH = """() => fetch("/static/app.css?uncached").then(() => "answered", () => "failed")"""
PAGE_CACHED = """() => caches.open("eventkit-door-v1").then((c) => c.match(location.href)).then((r) => !!r)"""


def frame(png: bytes | None) -> bytes:
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "white")
    if png is not None:
        side = min(WIDTH, HEIGHT) - 40
        qr = Image.open(io.BytesIO(png)).convert("RGB").resize((side, side), Image.NEAREST)
        canvas.paste(qr, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()


def write_video(path, codes: list[str]) -> None:
    """Blank frames, then three seconds of each guest's QR code, as a YUV4MPEG2 file (it loops)."""
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        out.write(frame(None) * (BLANK_SECONDS * FPS))
        for code in codes:
            out.write(frame(qr_png(checkin_url(code))) * (3 * FPS))


def launch(playwright, video):
    args = ["--no-sandbox", "--headless", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args)


@contextmanager
def door_page_without_camera(server_url: str, door):
    """The door page of `door` in a phone-less Chromium (no camera), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-component-update"])
        try:
            page = browser.new_page()
            page.goto(f"{server_url}/door/{door.secret}")
            yield page
        finally:
            browser.close()


def open_door_then_go_offline(browser, url):
    """Load the door page online until its dataset and page are stored, then lose the network."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector('#door[data-state="ready"]', timeout=20_000)
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    wait_until(page, PAGE_CACHED)
    assert page.evaluate(QUEUE) == {"queue": [], "datasets": 1}
    context.set_offline(True)
    page.reload()
    page.wait_for_selector('#net-state[data-online="false"]', timeout=10_000)
    # the network is really gone (for the service worker too), so the page came from its cache
    assert page.evaluate(UNCACHED_FETCH) == "failed"
    return context, page


def wait_until(page, script: str, timeout: float = 10.0) -> None:
    """Poll `script` (a function) until it answers true; `page.evaluate` is not bound by the page's CSP,
    which forbids the string evaluation `wait_for_function` uses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {script}"
        page.wait_for_timeout(100)


def wait_for_title(page, title, timeout=40_000):
    from playwright.sync_api import expect

    expect(page.locator("#result-title")).to_have_text(title, timeout=timeout)
    assert page.get_attribute("#result", "data-offline") == "true"


def scan_times(queue, shown="welcome") -> dict:
    """The latest offline admission of each scanned text or guest id in a phone's queue."""
    queue = sorted(queue, key=lambda item: item["scanned_at"])
    return {item.get("code") or item["attendee_id"]: item["scanned_at"] for item in queue if item.get("shown") == shown}


def as_time(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_two_offline_doors_sync_three_check_ins_once_each_and_one_conflict(
        app, client, login, organiser, make_event, make_attendee, make_door, live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    event = make_event(starts_at=datetime.now(timezone.utc) - timedelta(hours=1))
    ada, grace = make_attendee(event, name="Ada Lovelace"), make_attendee(event, name="Grace Hopper")
    emile = make_attendee(event, name="Émile Zola")
    front, garden = make_door(event, "Front door"), make_door(event, "Garden gate")
    with app.app_context():
        write_video(tmp_path / "front.y4m", [ada.code, grace.code])
        write_video(tmp_path / "garden.y4m", [ada.code])
        ada_url, grace_url = checkin_url(ada.code), checkin_url(grace.code)
    with sync_playwright() as playwright:
        front_browser = launch(playwright, tmp_path / "front.y4m")
        garden_browser = launch(playwright, tmp_path / "garden.y4m")
        try:
            front_context, front_page = open_door_then_go_offline(front_browser, f"{live_server}/door/{front.secret}")
            wait_for_title(front_page, "Welcome, Ada Lovelace!")
            wait_for_title(front_page, "Welcome, Grace Hopper!")
            front_page.fill("#search", "emile")
            emile_row = front_page.locator("#search-results li", has_text="Émile Zola")
            emile_row.get_by_role("button", name="Check in").click()
            wait_for_title(front_page, "Welcome, Émile Zola!", timeout=10_000)
            assert front_page.inner_text("#result-message").startswith("Checked in at ")
            front_page.click("#result-undo")  # a mistake, taken back offline, then done again
            wait_for_title(front_page, "Check-in undone", timeout=10_000)
            emile_row.get_by_role("button", name="Check in").click()
            wait_for_title(front_page, "Welcome, Émile Zola!", timeout=10_000)

            garden_context, garden_page = open_door_then_go_offline(garden_browser,
                                                                    f"{live_server}/door/{garden.secret}")
            wait_for_title(garden_page, "Welcome, Ada Lovelace!")
            front_times = scan_times(front_page.evaluate(QUEUE)["queue"])
            garden_times = scan_times(garden_page.evaluate(QUEUE)["queue"])
            assert int(front_page.inner_text("#pending-count")) >= 5  # 4 admissions and the undo
            with app.app_context():
                assert db.session.scalars(select(CheckIn)).all() == []  # nothing reached the server

            front_context.set_offline(False)
            expect(front_page.locator("#pending-count")).to_have_text("0", timeout=20_000)
            garden_context.set_offline(False)
            expect(garden_page.locator("#pending-count")).to_have_text("0", timeout=20_000)
            expect(garden_page.locator("#sync-notices")).to_contain_text("This door let them in again", timeout=20_000)
            assert "Ada Lovelace was already checked in at" in garden_page.inner_text("#sync-notices")
            expect(front_page.locator("#arrived")).to_have_text("3", timeout=20_000)

            with app.app_context():
                records = {r.attendee_id: (r.door_link_id, r.at) for r in db.session.scalars(select(CheckIn))}
                assert records == {
                    ada.id: (front.id, as_time(front_times[ada_url])),
                    grace.id: (front.id, as_time(front_times[grace_url])),
                    emile.id: (front.id, as_time(front_times[emile.id])),
                }
                conflict = db.session.scalars(select(DoorConflict)).one()
                assert (conflict.attendee_id, conflict.kept_door_link_id, conflict.later_door_link_id) == (
                    ada.id, front.id, garden.id)
                assert conflict.later_at == as_time(garden_times[ada_url])
            login(organiser)
            assert "Admitted twice (1)" in client.get(f"/events/{event.id}/door").get_data(as_text=True)

            with app.app_context():
                doors.revoke_door_link(db.session.get(Event, event.id), front.id, organiser, utcnow())
                db.session.commit()
            front_page.wait_for_selector('#door[data-state="wiped"]', timeout=20_000)
            assert "revoked" in front_page.inner_text("#closed-message")
            assert front_page.evaluate(QUEUE) == {"queue": [], "datasets": 0}
            assert front_page.evaluate(PAGE_CACHED) is False

            garden_page.once("dialog", lambda dialog: dialog.accept())
            garden_page.click("#clear-phone")
            garden_page.wait_for_selector('#door[data-state="wiped"]', timeout=10_000)
            assert garden_page.evaluate(QUEUE) == {"queue": [], "datasets": 0}
        finally:
            front_browser.close()
            garden_browser.close()


def test_after_the_gatherings_day_the_phone_wipes_its_copy(make_event, make_attendee, make_door,
                                                            live_server):

    event = make_event(starts_at=datetime.now(timezone.utc) - timedelta(days=3))
    make_attendee(event, name="Ada Lovelace")
    door = make_door(event)
    with door_page_without_camera(live_server, door) as page:
        page.wait_for_selector('#door[data-state="wiped"]', timeout=20_000)
        assert "day is over" in page.inner_text("#closed-message")
        assert page.evaluate(QUEUE) == {"queue": [], "datasets": 0}


NAMES = ["Émile Zola", "Łukasz Żółw", "Zoë Müller-Straße", "O’Brien", "Jean-Pierre  Lévêque", "Αλέξανδρος Σ.",
         "Ærøskøbing Œuvre", "İsmail Şahin", "Đorđe Þór", "王小明", "ŞİŞLİ"]
SCANNED = ["http://eventkit.test/c/abcdefghijklmnop1234", " abcdefghijklmnopqrst ", "https://x.test/c/short",
           "http://eventkit.test/c/abcdefghijklmnop1234/?utm=1#x", "not a code", "A" * 65]


def test_the_phone_folds_names_and_reads_codes_like_the_server(make_event, make_door, live_server):
    """The offline search and scan use JavaScript twins of eventkit.text.search_key and extract_code."""

    from eventkit.checkin.services import extract_code
    from eventkit.text import search_key

    door = make_door(make_event(starts_at=datetime.now(timezone.utc) - timedelta(hours=1)))
    with door_page_without_camera(live_server, door) as page:
        page.wait_for_selector('#door[data-state="ready"]', timeout=20_000)  # set up, no reload under way
        folded = page.evaluate("(names) => names.map(window.DoorOffline.fold)", NAMES)
        codes = page.evaluate("(texts) => texts.map(window.DoorOffline.extractCode)", SCANNED)
    assert folded == [search_key(name) for name in NAMES]
    assert codes == [extract_code(text) for text in SCANNED]


DISPATCH_ONLINE = "() => { window.dispatchEvent(new Event('online')); return true; }"
SYNC_STATE = "() => [document.getElementById('door').dataset.syncFailures, document.getElementById('door').dataset.nextSyncMs]"


@contextmanager
def door_page_on_a_paused_clock(server_url: str, door):
    """The door page with the page's timers under the test's hand (Playwright's clock, paused once the
    page is ready) and without a service worker, so `page.route` sees every API request."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-component-update"])
        try:
            context = browser.new_context(service_workers="block", viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.clock.install(time=datetime.now(timezone.utc))
            page.goto(f"{server_url}/door/{door.secret}")
            page.wait_for_selector('#door[data-state="ready"]', timeout=20_000)
            wait_until(page, "() => document.getElementById('door').dataset.nextSyncMs === '4000'")
            page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 1, timezone.utc))
            yield context, page
        finally:
            browser.close()


def check_in_offline(page, query: str, name: str):
    page.fill("#search", query)
    page.clock.run_for(300)  # the search waits 200 ms after the last key
    page.locator("#search-results li", has_text=name).get_by_role("button", name="Check in").click()


def answered_by(route, answers: list, calls: list):
    """Record the sync request, then answer with the next canned status (the real server once none is left)."""
    calls.append(route.request.post_data_json)
    if not answers:
        return route.continue_()
    status = answers.pop(0)
    return route.fulfill(status=status, json={"error": "busy", "message": f"canned {status}"})


def settled(page) -> None:
    """A round trip through the page, so a request it had started by now has reached the test's route."""
    page.evaluate(UNCACHED_FETCH)


def test_sync_backs_off_on_transient_errors_and_stops_for_good_when_the_link_is_revoked(
        app, organiser, make_event, make_attendee, make_door, live_server):  # noqa: F811
    from playwright.sync_api import expect

    event = make_event(starts_at=datetime.now(timezone.utc) - timedelta(hours=1))
    make_attendee(event, name="Ada Lovelace")
    make_attendee(event, name="Ann Applicant", status="applied")
    door = make_door(event)
    answers, calls = [503, 409], []
    with door_page_on_a_paused_clock(live_server, door) as (context, page):
        page.route("**/api/door/*/sync", lambda route: answered_by(route, answers, calls))
        context.set_offline(True)
        expect(page.locator("#net-state")).to_have_attribute("data-online", "false")
        check_in_offline(page, "ann", "Ann Applicant")
        wait_for_title(page, "Not approved yet", timeout=10_000)  # the same answer as online, decided here
        assert page.inner_text("#result-message") == \
            "Ann Applicant applied but has not been approved yet: ask the organiser."
        check_in_offline(page, "ada", "Ada Lovelace")
        wait_for_title(page, "Welcome, Ada Lovelace!", timeout=10_000)
        expect(page.locator("#pending-count")).to_have_text("2")

        context.set_offline(False)  # the "online" event sends the queue at once: 503
        wait_until(page, f"() => ({SYNC_STATE})()[0] === '1'")
        assert page.evaluate(SYNC_STATE) == ["1", "8000"] and len(calls) == 1
        assert len(calls[0]["actions"]) == 2
        expect(page.locator("#sync-retry")).to_contain_text("server error 503")
        expect(page.locator("#sync-retry")).to_contain_text("Trying again in 8 s; the 2 waiting stay queued")
        page.clock.fast_forward(7_000)
        settled(page)
        assert len(calls) == 1  # not before its time
        page.clock.fast_forward(1_000)  # 409 in progress: still transient, twice as long
        wait_until(page, f"() => ({SYNC_STATE})()[0] === '2'")
        assert page.evaluate(SYNC_STATE) == ["2", "16000"] and len(calls) == 2
        expect(page.locator("#sync-retry")).to_contain_text("still busy")
        expect(page.locator("#pending-count")).to_have_text("2")

        with app.app_context():
            doors.revoke_door_link(db.session.get(Event, event.id), door.id, organiser, utcnow())
            db.session.commit()
        page.clock.fast_forward(16_000)  # the real server now: 410
        page.wait_for_selector('#door[data-state="closed-unsent"]', timeout=10_000)
        assert len(calls) == 3
        closed = page.inner_text("#closed-message")
        assert "revoked. Ask the organiser" in closed and "2 scans were not sent" in closed
        unsent = page.locator("#unsent-list li")
        expect(unsent).to_have_count(2)
        assert "Ann Applicant · not let in" in unsent.nth(0).inner_text()
        assert "Ada Lovelace · let in" in unsent.nth(1).inner_text()
        stored = page.evaluate(QUEUE)
        assert stored["datasets"] == 0 and len(stored["queue"]) == 2  # the guest list went; the scans stayed

        for _ in range(3):  # never again: not on a timer, not when the network comes back
            page.clock.fast_forward(120_000)
            page.evaluate(DISPATCH_ONLINE)
        settled(page)
        assert len(calls) == 3

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#clear-phone")
        page.wait_for_selector('#door[data-state="wiped"]', timeout=10_000)
        assert page.evaluate(QUEUE) == {"queue": [], "datasets": 0}
    with app.app_context():
        assert db.session.scalars(select(CheckIn)).all() == []


def test_a_batch_the_server_refuses_is_held_and_listed_and_later_scans_still_go(
        app, make_event, make_attendee, make_door, live_server):  # noqa: F811
    from playwright.sync_api import expect

    event = make_event(starts_at=datetime.now(timezone.utc) - timedelta(hours=1))
    ada = make_attendee(event, name="Ada Lovelace")
    grace = make_attendee(event, name="Grace Hopper")
    door = make_door(event)
    answers, calls = [422], []
    with door_page_on_a_paused_clock(live_server, door) as (context, page):
        page.route("**/api/door/*/sync", lambda route: answered_by(route, answers, calls))
        context.set_offline(True)
        expect(page.locator("#net-state")).to_have_attribute("data-online", "false")
        check_in_offline(page, "ada", "Ada Lovelace")
        wait_for_title(page, "Welcome, Ada Lovelace!", timeout=10_000)

        context.set_offline(False)
        expect(page.locator("#sync-notices")).to_contain_text("The server refused 1 queued action (canned 422)")
        expect(page.locator("#held-list li")).to_have_text([re.compile(r"Ada Lovelace · let in$")])
        expect(page.locator("#pending-count")).to_have_text("0")
        assert page.evaluate(SYNC_STATE) == ["0", "4000"]  # not a failure to retry
        page.clock.fast_forward(4_000)
        page.evaluate(DISPATCH_ONLINE)
        settled(page)
        assert len(calls) == 1  # the refused batch is not sent again

        context.set_offline(True)
        expect(page.locator("#net-state")).to_have_attribute("data-online", "false")
        check_in_offline(page, "grace", "Grace Hopper")
        wait_for_title(page, "Welcome, Grace Hopper!", timeout=10_000)
        context.set_offline(False)  # the real server this time
        expect(page.locator("#pending-count")).to_have_text("0", timeout=10_000)
        wait_until(page, "() => document.getElementById('held-list').children.length === 1")
        assert len(calls) == 2 and [action["attendee_id"] for action in calls[1]["actions"]] == [grace.id]
    with app.app_context():
        assert {record.attendee_id for record in db.session.scalars(select(CheckIn))} == {grace.id}
        assert ada.id not in {record.attendee_id for record in db.session.scalars(select(CheckIn))}
