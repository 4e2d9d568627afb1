"""Shared set-up for the briefings tests: a gathering with a locked plan, notes and hostile text.

Rows are created directly in the database (the profiles and matching features are built elsewhere).
"""
from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from pypdf import PdfReader

from eventkit.attendees.models import Attendee
from eventkit.auth.models import Organiser
from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.matching.models import Conversation, Plan
from eventkit.profiles.models import ResearchNote

REASON = "Ada offers Rust mentoring that Ben seeks"
#: the same conversation in the second person, as Ada reads it (what she can give Ben)
ADA_GIVES_BEN = "Rust: your “mentoring on async Rust”"


@dataclass
class Gathering:
    event: Event
    ada: Attendee
    ben: Attendee
    cleo: Attendee
    dan: Attendee
    extra: list[Attendee] = field(default_factory=list)


def build_gathering(app, make_event, make_attendee, make_intent, *, locked: bool = True, **event_fields) -> Gathering:
    """Four ready guests, a plan of two rounds, and notes by Ada, Ben and an organiser."""
    event = make_event(**event_fields)
    profile = dict(role="Founder", organisation="Kelp Labs", field="Climate", bio="Builds things.")
    ada = make_attendee(event, "Ada Lovelace", directory_consent=True, **profile)
    ben = make_attendee(event, "Ben Okafor", role="Engineer", organisation="Gridworks", field="Developer tools",
                        bio="Rust person.", directory_consent=True, access_notes="Vegetarian; step-free access")
    cleo = make_attendee(event, "Cleo Park", directory_consent=True, **profile)
    dan = make_attendee(event, "Dan Shy", directory_consent=False, **profile)
    make_intent(ada, "offer", "Rust", "mentoring on async Rust")
    make_intent(ada, "seek", "Fundraising", "seed investors")
    make_intent(ben, "seek", "Rust", "")
    make_intent(ben, "offer", "Hiring", "intros to senior engineers")
    with app.app_context():
        plan = Plan(event_id=event.id, rounds=2, round_minutes=15, planned_at=utcnow(),
                    locked_at=utcnow() if locked else None)
        db.session.add(plan)
        db.session.flush()
        db.session.add_all([
            Conversation(plan_id=plan.id, event_id=event.id, round=1, table_no=3, a_id=ada.id, b_id=ben.id,
                         reasons=[REASON, "Different fields: Climate and Developer tools"]),
            Conversation(plan_id=plan.id, event_id=event.id, round=1, table_no=4, a_id=cleo.id, b_id=dan.id,
                         reasons=["Cleo and Dan both build in Climate"]),
            Conversation(plan_id=plan.id, event_id=event.id, round=2, table_no=1, a_id=ada.id, b_id=cleo.id,
                         reasons=["Cleo offers fundraising help Ada seeks"]),
        ])
        organiser = db.session.get(Organiser, event.owner_id)
        db.session.add_all([
            ResearchNote(event_id=event.id, author_attendee_id=ada.id, subject_id=ben.id,
                         body="ADA-NOTE-ON-BEN: ask about Gridworks", starters="ADA-STARTER how do you hire?"),
            ResearchNote(event_id=event.id, author_attendee_id=ben.id, subject_id=ada.id,
                         body="BEN-NOTE-ON-ADA secret", starters="BEN-STARTER"),
            ResearchNote(event_id=event.id, author_attendee_id=ada.id, subject_id=dan.id,
                         body="ADA-NOTE-ON-DAN not a partner"),
            ResearchNote(event_id=event.id, author_organiser_id=organiser.id, subject_id=ben.id,
                         body="ORGANISER-NOTE-ON-BEN"),
        ])
        db.session.commit()
    return Gathering(event, ada, ben, cleo, dan)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """The text with every run of white space (line breaks of the PDF's layout) as one space."""
    return " ".join(text.split())


def pdf_pages(data: bytes) -> list:
    return list(PdfReader(io.BytesIO(data)).pages)


def page_png(data: bytes, tmp_path, page: int = 1, dpi: int = 150):
    """Render one page with poppler's pdftoppm and load it with Pillow."""
    from PIL import Image

    source = tmp_path / "doc.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile",
                    str(source), str(tmp_path / "page")], check=True, timeout=60)
    with Image.open(tmp_path / "page.png") as image:
        image.load()
        return image.copy()


def later(hours: int = 1):
    return utcnow() + timedelta(hours=hours)


@pytest.fixture(name="app_config")
def config_from_param(request) -> dict:
    """Per-test config overrides through `indirect` parametrization."""
    return getattr(request, "param", {})


@pytest.fixture(name="gathering")
def briefing_gathering(app, make_event, make_attendee, make_intent):
    return build_gathering(app, make_event, make_attendee, make_intent)
