"""Time zones offered to organisers, and local wall-clock times converted to UTC."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from eventkit.errors import DomainError

DEFAULT_ZONE = "Europe/London"
_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/",
            "Indian/", "Pacific/")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Canonical-looking IANA zone names (Region/City), plus UTC, sorted."""
    names = sorted(name for name in available_timezones() if name.startswith(_REGIONS))
    return ("UTC", *names)


def zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in zone_names()]


def is_known_zone(name: str) -> bool:
    return name in zone_names()


def local_to_utc(value: datetime, zone_name: str) -> datetime:
    """A naive wall-clock time in `zone_name` as aware UTC.

    Raises DomainError for a time that does not exist there (skipped by a clock change).
    """
    zone = ZoneInfo(zone_name)
    aware = value.replace(tzinfo=zone)
    utc = aware.astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != value:
        raise DomainError(
            f"{value:%d %b %Y %H:%M} does not exist in {zone_name} (the clocks change then). "
            "Pick another time.", "nonexistent_time",
        )
    return utc


def utc_to_local(value: datetime, zone_name: str) -> datetime:
    """An aware datetime as a naive wall-clock time in `zone_name` (for datetime-local inputs)."""
    return value.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
