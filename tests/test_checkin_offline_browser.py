"""The offline door page in Debian's Chromium: two phones (browser contexts) lose the network, check
guests in by themselves, come back and sync; the server counts every guest once, at the earliest
scan, and keeps the double admission as a conflict. A revoked link's phone then wipes its copy.

Each phone is its own Chromium (the fake camera plays one Y4M file per browser): first blank frames,
during which the page loads online, caches itself and downloads the door's dataset; the test then
takes the context offline and reloads (the service worker serves the page); then the QR codes.
"""
from __future__ import annotations

import io
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
