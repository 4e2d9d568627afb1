"""Every link a user of the demo gathering can reach leads somewhere: no 404, no 500.

Breadth-first over every internal `href` (and redirect) from the organiser's gatherings page and
from a guest's personal link; every form's `action` must be a route for the form's method (matched
in the URL map, not submitted, so the crawl changes nothing). A PDF is rendered once per kind of
download (the organiser's pack and run-sheet, one guest's briefing); its other links are matched.
"""
from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from eventkit.db import db
from eventkit.demo.services import seed_demo
from eventkit.mail.models import OutboundEmail

ORIGIN = "http://localhost"


class Links(HTMLParser):
    """The hrefs and forms (action, method) of one page."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.forms: list[tuple[str | None, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        elif tag == "form":
            self.forms.append((attrs.get("action"), (attrs.get("method") or "get").upper()))


def internal_path(url: str, page: str) -> str | None:
    """`url` (relative to `page`) as path?query when it stays on the site; None otherwise."""
    absolute, _fragment = urldefrag(urljoin(ORIGIN + page, url))
    parts = urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def route_of(app, path: str, method: str) -> str | None:
    """The endpoint serving `path` with `method`, or None."""
    try:
        endpoint, _args = app.url_map.bind("localhost").match(urlsplit(path).path, method=method)
    except RequestRedirect:
        return "(redirect)"
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


def crawl(app, client, start: str) -> dict[str, str]:
    """GET every page reachable from `start`; returns {path: referring page}; fails on 404/500."""
    seen = {start: "(start)"}
    queue = deque([start])
    rendered_pdfs: set[str] = set()
    problems = []
    while queue:
        path = queue.popleft()
        endpoint = route_of(app, path, "GET")
        if endpoint is None:
            problems.append(f"{path} (linked from {seen[path]}) is not a route")
            continue
        if path.split("?", 1)[0].endswith(".pdf"):
            if endpoint in rendered_pdfs:
                continue
            rendered_pdfs.add(endpoint)
        response = client.get(path)
        if response.status_code == 404 or response.status_code >= 500:
            problems.append(f"{path} (linked from {seen[path]}) answered {response.status_code}")
            continue
        targets = []
        if response.status_code in (301, 302, 303, 307, 308):
            targets.append(response.headers["Location"])
        elif response.mimetype == "text/html":
            page = Links()
            page.feed(response.get_data(as_text=True))
            targets += page.hrefs
            for action, method in page.forms:
                form_path = internal_path(action or path, path)
                if form_path is not None and route_of(app, form_path, method) is None:
                    problems.append(f"form {method} {form_path} on {path} matches no route")
        for target in targets:
            target_path = internal_path(target, path)
            if target_path is not None and target_path not in seen:
                seen[target_path] = path
                queue.append(target_path)
    assert not problems, "\n".join(problems)
    return seen


@pytest.fixture
def demo(app):
    """The seeded demo: its organiser (detached, for `login`), event id and slug, a guest's link."""
    with app.app_context():
        seeded = seed_demo()
        db.session.commit()
        db.session.refresh(seeded.organiser)
        db.session.expunge(seeded.organiser)
        return SimpleNamespace(organiser=seeded.organiser, event_id=seeded.event.id, slug=seeded.event.slug,
                               guest_link=seeded.guest_link)


def test_every_page_an_organiser_reaches_exists(app, client, login, demo):
    login(demo.organiser)
    pages = crawl(app, client, "/events/")
    event_page = f"/events/{demo.event_id}"
    assert event_page in pages
    assert {f"{event_page}/guests", f"{event_page}/outbox", f"{event_page}/notes", f"{event_page}/door",
            f"{event_page}/plan", f"{event_page}/followup"} <= set(pages), "the crawl reached every feature"


def test_every_page_a_guest_reaches_exists(app, client, demo):
    assert demo.guest_link.startswith(app.config["BASE_URL"] + "/g/")
    pages = crawl(app, client, urlsplit(demo.guest_link).path)
    slug = demo.slug
    assert {f"/e/{slug}/me", f"/e/{slug}/profile", f"/e/{slug}/intents", f"/e/{slug}/directory",
            f"/e/{slug}/research", f"/e/{slug}/connections"} <= set(pages), "the crawl reached every guest page"
    assert any(page.startswith(f"/e/{slug}/directory/") for page in pages), "a person's page was reached"


def test_every_link_in_the_demo_emails_is_a_route(app, client, login, demo):
    """Invitations and briefing emails: each link is on the base URL and opens a page of the site."""
    login(demo.organiser)
    assert client.post(f"/events/{demo.event_id}/briefings/email", data={"paper": "a4"}).status_code == 303
    with app.app_context():
        mails = db.session.execute(select(OutboundEmail.purpose, OutboundEmail.body_html)).all()
    assert {"invitation", "briefing"} <= {purpose for purpose, _body in mails}
    links = set()
    for _purpose, body in mails:
        page = Links()
        page.feed(body)
        links.update(href for href in page.hrefs if not href.startswith("mailto:"))
    assert links, "the emails carry links"
    for link in links:
        assert link.startswith(app.config["BASE_URL"] + "/"), link
        assert route_of(app, urlsplit(link).path, "GET"), link
