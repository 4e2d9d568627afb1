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

SAMPLES = [
    ("Founder", "Kelp Carbon", "Climate", "Building ocean carbon removal; ex-marine biologist.",
     ["intros to climate VCs", "feedback on a pitch deck"], ["a first backend engineer", "pilot customers"]),
    ("Staff engineer", "Gridline", "Developer tools", "Twelve years of distributed systems; now grid software.",
     ["code review of a Rust service", "hiring loop design"], ["a climate startup to advise"]),
    ("Partner", "Tidewater Ventures", "Finance", "Seed investor in climate hardware and software.",
     ["a read on your round", "intros to co-investors"], ["founders working on grid storage"]),
    ("Product designer", "Studio Nord", "Design", "Designs tools for field workers and scientists.",
     ["a design critique", "user research help"], ["a mission-driven team"]),
    ("Policy advisor", "City of Amsterdam", "Policy", "Works on the city's heat transition plan.",
     ["how procurement really works", "intros at the city"], ["data on building retrofits"]),
    ("PhD researcher", "TU Delft", "Research", "Battery degradation models.",
     ["a literature map of battery research"], ["industry datasets", "a summer internship"]),
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


def _add_intents(guest, sample, tag_cycle, now) -> int:
    added = 0
    for kind, texts in (("offer", sample[4]), ("seek", sample[5])):
        for text in texts[:MAX_INTENTS_PER_KIND]:
            db.session.add(Intent(attendee_id=guest.id, kind=kind, tag_id=next(tag_cycle).id, text=text,
                                  created_at=now))
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
            result.intents += _add_intents(guest, sample, tag_cycle, now)
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
