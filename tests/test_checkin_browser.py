"""The real door page in Debian's Chromium, its fake camera fed a video of a guest's real QR code.

Chromium's fake-capture flags play a Y4M file (generated here from the QR PNG of the guest's check-in
URL) as the camera; the page decodes it with the vendored jsQR, posts the scan, and shows the welcome.
"""
from __future__ import annotations

import io

from browser_fixtures import BROWSER, CHROMIUM
from PIL import Image

from eventkit.attendees.models import Attendee
from eventkit.checkin.models import CheckIn, DoorLink
from eventkit.db import db
from eventkit.qr import checkin_url, qr_png

WIDTH, HEIGHT, FRAMES = 640, 480, 10

pytestmark = BROWSER


def write_y4m(png: bytes, path) -> None:
    """A few identical 640x480 I420 frames showing the QR code, as a YUV4MPEG2 file."""
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    side = min(WIDTH, HEIGHT) - 40
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas.paste(qr.resize((side, side), Image.NEAREST), ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        out.write(frame * FRAMES)


def test_camera_scan_of_a_real_qr_code_checks_the_guest_in(app, event, make_attendee, live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    guest = make_attendee(event, name="Ada Lovelace")
    with app.app_context():
        link = DoorLink(event_id=event.id, label="Front door")
        secret = link.issue_secret()
        db.session.add(link)
        db.session.commit()
        png = qr_png(checkin_url(guest.code))
    video = tmp_path / "qr.y4m"
    write_y4m(png, video)
    args = ["--no-sandbox", "--headless", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{live_server}/door/{secret}")
            page.wait_for_selector('#result[data-outcome="welcome"]', timeout=30_000)
            assert page.inner_text("#result-title") == "Welcome, Ada Lovelace!"
            # a locator, not wait_for_function: the page's CSP forbids evaluating strings
            expect(page.locator("#arrived")).to_have_text("1", timeout=10_000)
        finally:
            browser.close()
    with app.app_context():
        assert db.session.get(Attendee, guest.id).checked_in_at is not None
        assert db.session.query(CheckIn).filter_by(attendee_id=guest.id).count() == 1
