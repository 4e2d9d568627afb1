"""Validation rules for a gathering's settings, shared by forms and services."""
from __future__ import annotations

from eventkit.errors import DomainError
from eventkit.events.models import DEFAULT_FIELDS

MIN_CAPACITY, MAX_CAPACITY = 1, 500
MAX_FIRST_HOURS = 24 * 60
MAX_CADENCE_DAYS = 730
MAX_TAG_LENGTH = 60
MAX_FIELD_LENGTH = 80
MAX_FIELDS = 40

__all__ = ["DEFAULT_FIELDS", "normalise_cadence", "parse_field_options", "clean_tag"]


def normalise_cadence(text: str | None) -> str:
    """'7, 30,90' -> '7,30,90'; raises DomainError unless whole, increasing days 1..730."""
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    days = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= MAX_CADENCE_DAYS:
            raise DomainError(f"“{part}” is not a number of days between 1 and {MAX_CADENCE_DAYS}.", "bad_cadence")
        days.append(int(part))
    if days != sorted(set(days)):
        raise DomainError("List the days in increasing order, each once, e.g. 7,30,90.", "bad_cadence")
    if len(days) > 10:
        raise DomainError("At most 10 later check-ins.", "bad_cadence")
    return ",".join(str(day) for day in days)


def parse_field_options(text: str | None) -> list[str]:
    """A comma list of fields, trimmed, without duplicates (case-insensitive)."""
    seen, fields = set(), []
    for part in (text or "").split(","):
        name = " ".join(part.split())
        if not name or name.lower() in seen:
            continue
        if len(name) > MAX_FIELD_LENGTH:
            raise DomainError(f"A field name is at most {MAX_FIELD_LENGTH} characters.", "bad_field")
        seen.add(name.lower())
        fields.append(name)
    if len(fields) > MAX_FIELDS:
        raise DomainError(f"At most {MAX_FIELDS} fields.", "bad_field")
    return fields


def clean_tag(name: str | None) -> str:
    """A tag name with its whitespace collapsed; raises DomainError unless 1..60 characters."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("A tag needs a name.", "bad_tag")
    if len(name) > MAX_TAG_LENGTH:
        raise DomainError(f"“{name[:20]}…” is too long: a tag has at most {MAX_TAG_LENGTH} characters.", "bad_tag")
    return name
