"""Briefing PDFs as plain functions returning bytes (emailing them: `eventkit.briefings.emailing`)."""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, render_template

from eventkit import charts
from eventkit.attendees import services as attendee_services
from eventkit.attendees.models import Attendee
from eventkit.briefings import content
from eventkit.briefings.pdf import RenderError, RenderJob, RenderResult, join, render, render_parallel
from eventkit.checkin.doors import arrival_curve
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.profiles import services as profile_services


@dataclass(frozen=True)
class Paper:
    key: str
    css_size: str
    label: str


PAPERS = {
    "a4": Paper("a4", "A4", "A4"),
    "letter": Paper("letter", "letter", "US Letter"),
}
DEFAULTS = {
    "BRIEFINGS_RENDER_TIMEOUT": 120.0,
    "BRIEFINGS_MAX_PACK_GUESTS": 150,
    "BRIEFINGS_MAX_PAGES": 800,
    "BRIEFINGS_MAX_PDF_BYTES": 60 * 1024 * 1024,
    #: render in a child process with a time limit (False: in-process, e.g. for profiling)
    "BRIEFINGS_ISOLATE": True,
    #: child processes a pack is split across (never more than the CPU count)
    "BRIEFINGS_RENDER_WORKERS": 2,
    #: packs smaller than this render as one document in one child
    "BRIEFINGS_PARALLEL_MIN_GUESTS": 12,
    #: guests per part when the worker renders a pack part after part (its progress steps)
    "BRIEFINGS_PART_GUESTS": 10,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


def paper_for(value: str | None) -> Paper:
    """The paper size the organiser asked for (default A4); DomainError for anything else."""
    key = (value or "a4").strip().lower()
    if key not in PAPERS:
        raise DomainError("Paper must be A4 or US Letter (a4 or letter).", "bad_paper", 400)
    return PAPERS[key]


def guest_briefing(attendee: Attendee, paper: Paper, own_copy: bool) -> bytes:
    """One guest's briefing as PDF bytes.

    Their private notes and starters are in it only in their `own_copy` (the guest downloading it),
    or when they chose to have them in the printed copy too (`Attendee.print_notes`).
    """
    if not content.may_have_briefing(attendee):
        raise DomainError("Briefings are for guests with a place at this gathering.", "no_place", 403)
    with_notes = own_copy or attendee.print_notes
    roster = content.load_roster(attendee.event, note_authors=[attendee.id] if with_notes else [])
    sheet = content.guest_sheet(roster, roster.attendees[attendee.id])
    return render_sheets([sheet], roster.event, paper, title=f"Briefing for {attendee.name}").pdf


def own_briefing(attendee: Attendee, paper: Paper) -> bytes:
    """The guest's own copy, asked for from their page; DomainError (409) until the plan is locked, the
    moment their page starts offering it, so an early or bookmarked link gets a clear answer."""
    if content.may_have_briefing(attendee) and not content.plan_shown_to_guests(attendee.event_id):
        raise DomainError("Your briefing is not ready yet: it comes once the organiser has planned and locked the "
                          "conversations. Your page offers it then.", "not_planned", 409)
    return guest_briefing(attendee, paper, own_copy=True)


def pack_sheets(event: Event) -> tuple[content.Roster, list[content.GuestSheet]]:
    """The print pack's sheets: notes only of the guests who chose to have them printed."""
    roster = content.load_roster(event, note_authors=content.print_note_authors(event))
    guests = content.briefing_guests(roster)
    limit = setting("BRIEFINGS_MAX_PACK_GUESTS")
    if len(guests) > limit:
        raise DomainError(f"The pack is limited to {limit} guests; download briefings one by one.", "too_large", 413)
    if not guests:
        raise DomainError("No confirmed guests yet, so there is nothing to print.", "empty", 409)
    return roster, [content.guest_sheet(roster, guest) for guest in guests]


def print_pack(event: Event, paper: Paper, split: bool = False) -> RenderResult:
    """Every expected guest's briefing in ONE document (one layout); with `split`, also one PDF per guest."""
    roster, sheets = pack_sheets(event)
    return render_sheets(sheets, roster.event, paper, title=f"Briefings: {event.title}", split=split)


def run_sheet(event: Event, paper: Paper) -> bytes:
    """The organiser's run-sheet: arrivals, the plan by round, guests not ready, access notes."""
    return render_document(run_sheet_document(event, paper)).pdf


def run_sheet_document(event: Event, paper: Paper) -> RenderJob:
    """The run-sheet's HTML, ready to render (reads the database; the render does not)."""
    roster = content.load_roster(event, note_authors=[])
    guests = content.briefing_guests(roster)
    sheet_charts = run_sheet_charts(event)
    html = render_template(
        "briefings/run_sheet.html", paper=paper, event=roster.event, guests=guests,
        rounds=_rounds(roster), not_ready=[g for g in guests if not g.is_ready],
        access=[g for g in guests if g.access_notes.strip()], title=f"Run-sheet: {event.title}",
        sheet_charts=sheet_charts,
    )
    generated = {chart.document_name: ("image/svg+xml", chart.document_svg) for chart in sheet_charts}
    return RenderJob(html=html, generated=generated, **_limits())


def run_sheet_charts(event: Event) -> list[charts.Chart]:
    """The run-sheet's charts: replies, readiness and (once anyone is in) arrivals; the event page's numbers."""
    readiness = profile_services.readiness(profile_services.active_guests(event))
    replies = attendee_services.status_counts(event.id)
    found = [charts.replies_chart(replies)] if sum(replies.values()) else []
    if readiness.total:
        found.append(charts.readiness_chart(readiness.total, readiness.complete, readiness.with_offers,
                                            readiness.with_seeks, readiness.ready))
    curve = arrival_curve(event.id)
    if curve.times:
        found.append(charts.arrivals_chart(curve.times, curve.expected, curve.holding, event.timezone))
    return found


def render_document(job: RenderJob) -> RenderResult:
    """Render one prepared document (DomainError if the render is stopped)."""
    return _run([job])


def render_in_parts(sheets: list[content.GuestSheet], event: content.EventInfo, paper: Paper, title: str,
                    progress: Callable[[int, int], None], split: bool = False) -> RenderResult:
    """Render BRIEFINGS_PART_GUESTS guests at a time, one part after the other, and join the parts.

    For the worker: one render at a time, and `progress(done, total)` after each part ("30 of 80").
    Needs no database. DomainError if a render is stopped or the joined pack is too large.
    """
    total = len(sheets)
    progress(0, total)
    results, done = [], 0
    for part in _parts(sheets, math.ceil(total / max(int(setting("BRIEFINGS_PART_GUESTS")), 1))):
        results.append(_run([_job(part, event, paper, title, split)]))
        done += len(part)
        progress(done, total)
    if len(results) == 1:
        return results[0]
    try:
        return join(results, max_pages=setting("BRIEFINGS_MAX_PAGES"), max_bytes=setting("BRIEFINGS_MAX_PDF_BYTES"))
    except RenderError as error:
        raise DomainError(error.message, f"render_{error.code}", 413) from None


def _rounds(roster: content.Roster) -> list[tuple[content.Slot, list]] | None:
    if roster.conversations is None:
        return None
    rounds = []
    for slot in roster.event.slots or []:
        tables = [
            (c.table_no, [roster.people[m] for m in c.member_ids if m in roster.people])
            for c in roster.conversations if c.round == slot.round
        ]
        rounds.append((slot, tables))
    return rounds


def render_sheets(sheets: list[content.GuestSheet], event: content.EventInfo, paper: Paper, title: str,
                  split: bool = False, timeout: float | None = None) -> RenderResult:
    """Lay the sheets out as one document per worker (one worker on one core or for a few guests).

    Needs no database: sheets and event are plain data. DomainError if the render is stopped.
    """
    jobs = [_job(part, event, paper, title, split) for part in _parts(sheets, _workers(len(sheets)))]
    return _run(jobs, timeout)


def _job(sheets, event: content.EventInfo, paper: Paper, title: str, split: bool) -> RenderJob:
    qr_codes = {f"qr-{s.guest.id}.svg": s.checkin_url for s in sheets}
    html = render_template("briefings/pack.html", sheets=sheets, event=event, paper=paper, title=title)
    return RenderJob(html=html, qr_codes=qr_codes, split=split, **_limits())


def _workers(guests: int) -> int:
    if not setting("BRIEFINGS_ISOLATE") or guests < setting("BRIEFINGS_PARALLEL_MIN_GUESTS"):
        return 1
    return max(1, min(int(setting("BRIEFINGS_RENDER_WORKERS")), os.cpu_count() or 1))


def _parts(items: list, count: int) -> list[list]:
    """`items` in `count` consecutive, nearly equal parts."""
    size, extra = divmod(len(items), count)
    parts, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        parts.append(items[start:end])
        start = end
    return [part for part in parts if part]


def _limits() -> dict:
    return {"max_pages": setting("BRIEFINGS_MAX_PAGES"), "max_bytes": setting("BRIEFINGS_MAX_PDF_BYTES"),
            "niceness": int(current_app.config.get("RENDER_NICENESS", 0))}


def _run(jobs: list[RenderJob], timeout: float | None = None) -> RenderResult:
    """Render with the configured isolation; map a stopped render to a 503 the user can read."""
    limit = float(setting("BRIEFINGS_RENDER_TIMEOUT"))
    try:
        if setting("BRIEFINGS_ISOLATE"):
            return render_parallel(jobs, limit if timeout is None else min(limit, timeout))
        return render(jobs[0])
    except RenderError as error:
        status = 413 if error.code == "too_large" else 503
        raise DomainError(error.message, f"render_{error.code}", status) from None


def filename(event: Event, attendee_id: int | None = None, kind: str = "briefing") -> str:
    """A safe download name, e.g. briefing-climate-dinner-42.pdf."""
    suffix = f"-{attendee_id}" if attendee_id is not None else ""
    return f"{kind}-{event.slug}{suffix}.pdf"
