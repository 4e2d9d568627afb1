"""Door links and screen links are made alike (eventkit/secret_links.py): a cap of active links per
gathering, only the secret's hash kept, creation and revocation in the audit log, the URL shown once."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from eventkit.audit import AuditEntry
from eventkit.checkin.doors import MAX_ACTIVE_LINKS
from eventkit.checkin.models import DoorLink
from eventkit.db import db
from eventkit.live.models import ScreenLink
from eventkit.live.screens import MAX_ACTIVE_SCREENS


@dataclass(frozen=True)
class Kind:
    model: type
    cap: int
    noun: str
    #: the organiser's page, where links are listed (and made at `page + suffix`)
    page: str
    suffix: str
    url: str

    def links(self, event) -> str:
        return self.page.format(id=event.id) + self.suffix


KINDS = [
    Kind(DoorLink, MAX_ACTIVE_LINKS, "door link", "/events/{id}/door", "/links", r"http://eventkit\.test/door/[\w-]+"),
    Kind(ScreenLink, MAX_ACTIVE_SCREENS, "screen link", "/events/{id}/live", "/screens",
         r"http://eventkit\.test/screen/[\w-]+"),
]


@pytest.fixture(params=KINDS, ids=lambda kind: kind.noun.replace(" ", "_"))
def kind(request) -> Kind:
    return request.param


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_url_is_shown_once_and_creation_and_revocation_are_audited(app, client, login, organiser, event, kind):
    login(organiser)
    assert client.post(kind.links(event), data={"label": "Hall"}).status_code == 302
    page = client.get(kind.page.format(id=event.id)).get_data(as_text=True)
    assert f"{kind.noun.capitalize()} “Hall” created. Copy it now" in page and re.search(kind.url, page)
    assert not re.search(kind.url, client.get(kind.page.format(id=event.id)).get_data(as_text=True))
    with app.app_context():
        link = db.session.scalars(select(kind.model)).one()
        assert link.active and link.created_by == organiser.id and len(link.secret_hash) == 64
    prefix = kind.noun.replace(" ", "_")
    [created] = _audit(app, f"{prefix}.create")
    assert (created.actor, created.target, created.event_id, created.details) == (
        f"organiser:{organiser.id}", f"{prefix}:{link.id}", event.id, {"label": "Hall"})
    for _ in range(2):  # revoking twice is recorded once
        assert client.post(f"{kind.links(event)}/{link.id}/revoke").status_code == 302
    [revoked] = _audit(app, f"{prefix}.revoke")
    assert revoked.target == f"{prefix}:{link.id}"
    with app.app_context():
        assert not db.session.get(kind.model, link.id).active


def test_a_gathering_has_at_most_the_cap_of_active_links(app, client, login, organiser, event, kind):
    login(organiser)
    for n in range(kind.cap):
        assert client.post(kind.links(event), data={"label": f"L{n}"}).status_code == 302
    refused = client.post(kind.links(event), data={"label": "One more"})
    assert refused.status_code == 422
    assert (f"A gathering can have at most {kind.cap} active {kind.noun}s; revoke one first."
            in refused.get_data(as_text=True))
    with app.app_context():
        first = db.session.scalars(select(kind.model).order_by(kind.model.id)).first()
    assert client.post(f"{kind.links(event)}/{first.id}/revoke").status_code == 302
    assert client.post(kind.links(event), data={"label": "One more"}).status_code == 302
