"""Sample profiles, intents and notes for a demo gathering, so a newcomer sees the feature working.

`seed_profiles(event, now)` only fills guests whose profile is still empty, so it is safe to run
again; the demo seed of the whole app can call it after adding its guests.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from eventkit.db import db
from eventkit.events.models import Event
from eventkit.profiles import notes, services
from eventkit.profiles.models import MAX_INTENTS_PER_KIND, Intent

#: role, organisation, field, bio, offers and seeks as (preferred topic, text)
SAMPLES = [
    ("Founder", "Kelp Carbon", "Climate", "Building ocean carbon removal; ex-marine biologist.",
     [("Climate policy", "what regulators ask of carbon removal")],
     [("Fundraising", "intros to climate VCs"), ("Hiring", "a first backend engineer")]),
    ("Staff engineer", "Gridline", "Developer tools", "Twelve years of distributed systems; now grid software.",
     [("Rust", "code review of a Rust service"), ("Hiring", "help designing a hiring loop")],
     [("Climate policy", "a climate startup to advise")]),
    ("Partner", "Tidewater Ventures", "Finance", "Seed investor in climate hardware and software.",
     [("Fundraising", "a candid read on your round"), ("Go-to-market", "intros to pilot customers")],
     [("Go-to-market", "founders working on grid storage")]),
    ("Product designer", "Studio Nord", "Design", "Designs tools for field workers and scientists.",
     [("Design feedback", "a design critique of your product")], [("Hiring", "a mission-driven team")]),
    ("Policy advisor", "City of Amsterdam", "Policy", "Works on the city's heat transition plan.",
     [("Climate policy", "how city procurement really works")], [("Rust", "engineers for an open data tool")]),
    ("PhD researcher", "TU Delft", "Research", "Battery degradation models.",
     [("Design feedback", "a literature map of battery research")],
     [("Fundraising", "how to spin a lab project out")]),
]
LINKS = "https://example.org/{}"


@dataclass
class SeedResult:
    profiles: int = 0
    intents: int = 0
    notes: int = 0


def _fill(guest, sample, now) -> None:
    role, org, field, bio, _offers, _seeks = sample
    services.update_profile(guest, {
        "role": role, "organisation": org, "field": field, "bio": bio, "directory_consent": True,
        "links": [LINKS.format(guest.name.lower().replace(" ", "-"))],
    }, now)


def _add_intents(guest, sample, tags, tag_cycle, now) -> int:
    """The sample's intents, on the preferred topic if the gathering has it, else the next topic."""
    by_name = {tag.name: tag for tag in tags}
    added = 0
    for kind, items in (("offer", sample[4]), ("seek", sample[5])):
        for topic, text in items[:MAX_INTENTS_PER_KIND]:
            tag = by_name.get(topic) or next(tag_cycle)
            db.session.add(Intent(attendee_id=guest.id, kind=kind, tag_id=tag.id, text=text, created_at=now))
            added += 1
    return added


def seed_profiles(event: Event, now: datetime) -> SeedResult:
    """Fill empty profiles of `event`'s guests with samples, then add a few notes."""
    result = SeedResult()
    guests = services.active_guests(event)
    tag_cycle = itertools.cycle(event.tags) if event.tags else None
    for guest, sample in zip(guests, itertools.cycle(SAMPLES)):
        if guest.bio or guest.intents:
            continue
        _fill(guest, sample, now)
        result.profiles += 1
        if tag_cycle:
            result.intents += _add_intents(guest, sample, event.tags, tag_cycle, now)
    db.session.flush()
    for author, subject in zip(guests[:3], guests[1:4]):
        if notes.guest_note(author, subject) is None and subject.directory_consent:
            notes.save_guest_note(author, subject, f"Ask {subject.name} how they got into {subject.field or 'this'}.",
                                  "What are you working on this month?\nWho should I meet here?", now)
            result.notes += 1
    if guests and notes.organiser_note(event.owner, guests[0]) is None:
        notes.save_organiser_note(event.owner, guests[0], "Introduce to the investors' table early.", "", now)
        result.notes += 1
    return result
