"""Hostile guest text never becomes a URL, and the renderer's fetcher refuses everything outside the package."""
from __future__ import annotations

import socket

import pytest
from test_briefings_support import build_gathering, pdf_text

from eventkit.attendees.models import Attendee
from eventkit.briefings import pdf as pdf_module
from eventkit.briefings import services
from eventkit.briefings.fetcher import STATIC_DIR, SafeFetcher
from eventkit.briefings.pdf import RenderJob, render, render_isolated
from eventkit.db import db
from eventkit.matching.models import Conversation


@pytest.fixture
def listener():
    """A loopback TCP listener; `connections()` says whether anything connected to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)

    class Listener:
        port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"

        def connections(self) -> int:
            count = 0
            while True:
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    return count
                conn.close()
                count += 1

    yield Listener()
    sock.close()


def hostile_html(url: str) -> str:
    return f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{url}/link.css">
      <link rel="stylesheet" href="briefings.css">
      <style>@import url({url}/import.css); body {{ background: url(file:///etc/passwd); }}</style></head>
      <body><p>hello</p>
      <img src="file:///etc/passwd"><img src="../../../../etc/passwd"><img src="briefings.css/../../config.py">
      <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
      <img src="generated:unknown.svg"><img src="generated:evil.svg">
      <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">
        <image href="{url}/inline.png" width="10" height="10"/><image xlink:href="file:///etc/hostname"/></svg>
      <iframe src="{url}/frame"></iframe><object data="{url}/object"></object>
      </body></html>"""


def evil_svg(url: str) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            f'<image href="{url}/from-svg.png" width="10" height="10"/>'
            f'<image href="file:///etc/passwd" width="10" height="10"/></svg>').encode()


def test_fetcher_refuses_everything_but_static_files_and_generated_images(listener):
    job = RenderJob(html=hostile_html(listener.url), generated={"evil.svg": ("image/svg+xml", evil_svg(listener.url))})
    result = render(job)
    served = [url for url, outcome in result.fetched if outcome == "served"]
    refused = [url for url, outcome in result.fetched if outcome == "refused"]
    assert served == [(STATIC_DIR / "briefings.css").resolve().as_uri(), "generated:evil.svg"]
    assert any(u.startswith(f"{listener.url}/import.css") for u in refused)
    assert any(u.endswith("from-svg.png") for u in refused)  # the generated SVG's own external reference
    assert any(u.startswith("data:") for u in refused)
    assert "file:///etc/passwd" in refused
    assert listener.connections() == 0
    assert "root:" not in pdf_text(result.pdf)


def test_child_process_render_uses_the_same_fetcher(listener):
    result = render_isolated(RenderJob(html=hostile_html(listener.url)), timeout=120)
    assert all(outcome == "refused" or url.endswith("briefings.css") for url, outcome in result.fetched)
    assert listener.connections() == 0


def test_static_file_check_does_not_follow_traversal(tmp_path):
    fetcher = SafeFetcher()
    for url in ("file:///etc/passwd", (STATIC_DIR / ".." / "config.py").as_uri(),
                (STATIC_DIR / "app.css").as_uri().replace("app.css", "%2e%2e/config.py"), "http://example.org/x.css",
                "ftp://127.0.0.1/x", "data:text/css,body{}", "generated:nothing.svg"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert [outcome for _, outcome in fetcher.log] == ["refused"] * 7


def test_hostile_guest_text_is_printed_as_text_and_fetches_nothing(
        app, make_event, make_attendee, make_intent, listener, monkeypatch):
    gathering = build_gathering(app, make_event, make_attendee, make_intent)
    with app.app_context():
        ben = db.session.get(Attendee, gathering.ben.id)
        ben.bio = "<img src=file:///etc/passwd> BIO-END"
        ben.name = f"</style><style>@import url({listener.url}/name.css);</style>Ben"
        ben.organisation = f'<svg><image href="{listener.url}/org.png"/></svg>'
        conversation = db.session.query(Conversation).filter_by(a_id=gathering.ada.id, b_id=ben.id).one()
        conversation.reasons = [f"<link rel=stylesheet href={listener.url}/reason.css>"]
        db.session.commit()
    results = []

    def spy(jobs, timeout):
        result = pdf_module.render(jobs[0])
        results.append(result)
        return result

    monkeypatch.setattr(services, "render_parallel", spy)
    with app.app_context():
        pdf = services.guest_briefing(db.session.get(Attendee, gathering.ada.id), services.paper_for("a4"), own_copy=True)
    text = pdf_text(pdf)
    assert "<img src=file:///etc/passwd> BIO-END" in text
    assert f"@import url({listener.url}/name.css)" in text
    assert "root:" not in text
    fetched = [url for url, _ in results[0].fetched]
    assert fetched == [(STATIC_DIR / "briefings.css").resolve().as_uri(), f"generated:qr-{gathering.ada.id}.svg"]
    assert listener.connections() == 0
