"""Take the README's screenshots (docs/*.png) of the demo gathering in Debian's Chromium, at 1366 and 390 px.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshot.png and the others

The demo lives in a throw-away SQLite database (built with the migrations and `seed-demo`'s code);
the app is served in-process on a free port, and Playwright signs in as the demo organiser and opens
the demo guest's personal link. Run it again after a redesign: the pages, not the script, change.
"""
from __future__ import annotations

import socket
import sys
import tempfile
import threading
from pathlib import Path

import flask_migrate
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eventkit import create_app  # noqa: E402  (after the path: the script runs from a checkout)
from eventkit.db import db  # noqa: E402
from eventkit.demo.services import seed_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DOCS = ROOT / "docs"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_app(instance: Path, base_url: str):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'demo.db'}",
        "SECRET_KEY": "screenshots-only-secret-key-0123456789abcdef",
        "BASE_URL": base_url, "OUTBOX_DIR": str(instance / "outbox"),
        "QUEUE_URL": f"sqlite:///{instance / 'queue.db'}", "MAIL_SERVER": "",
    })
    with app.app_context():
        flask_migrate.upgrade()
        demo = seed_demo()
        login = (demo.organiser.email, demo.password, demo.event.id, demo.guest_link)
        db.session.commit()
    return app, login


def shoot(page, url: str, name: str, full_page: bool = False) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(DOCS / name), full_page=full_page)
    print(f"docs/{name}")


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        app, (email, password, event_id, guest_link) = demo_app(Path(tmp), base)
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
                organiser = browser.new_context(viewport=DESKTOP)
                page = organiser.new_page()
                page.goto(f"{base}/auth/login")
                page.fill('input[name="email"]', email)
                page.fill('input[name="password"]', password)
                page.click('main button[type="submit"]')
                page.wait_for_load_state("networkidle")
                shoot(page, f"{base}/events/{event_id}", "screenshot.png")
                shoot(page, f"{base}/events/{event_id}/plan", "plan.png")
                shoot(page, f"{base}/events/{event_id}/guests?sort=name", "guest-list.png")
                page.set_viewport_size(PHONE)
                shoot(page, f"{base}/events/{event_id}", "gathering-phone.png")
                guest = browser.new_context(viewport=PHONE).new_page()
                guest.goto(guest_link)
                guest.wait_for_load_state("networkidle")
                shoot(guest, guest.url, "guest-phone.png")
                shoot(guest, guest.url + "#my-conversations", "guest-plan-phone.png")
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
