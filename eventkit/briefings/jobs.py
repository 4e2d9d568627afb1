"""The organiser's big downloads as worker jobs: the print pack, the run-sheet and every guest's
briefing (a ZIP of one PDF per guest). Each reads the gathering in a read-only transaction, then
renders with no transaction open, part after part, reporting how many guests are done."""
from __future__ import annotations

import io
import logging
import zipfile

from eventkit.briefings import services
from eventkit.db import db, reading
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.jobs.runner import Output, Progress, register_kind

log = logging.getLogger(__name__)

PACK, RUN_SHEET, EACH = "briefings.pack", "briefings.run_sheet", "briefings.each"
PDF, ZIP = "application/pdf", "application/zip"


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise DomainError("The gathering was deleted.", "gone", 410)
    return event


def _pack_parts(event_id: int, params: dict):
    with reading():
        event = _event(event_id)
        paper = services.paper_for(params.get("paper"))
        roster, sheets = services.pack_sheets(event)
        names = {"pack": services.filename(event, kind="briefings"), "title": f"Briefings: {event.title}",
                 "zip": f"briefings-{event.slug}.zip", "each": {s.guest.id: services.filename(event, s.guest.id)
                                                                for s in sheets}}
    return roster.event, paper, sheets, names


def _rendered(what: str, event_id: int, guests: int, result) -> None:
    log.info("%s of gathering %s: %d guests, %d pages, %.1f s of render CPU at niceness +%d", what, event_id,
             guests, result.pages, sum(result.cpu_seconds), result.niceness)


def make_pack(event_id: int, params: dict, progress: Progress) -> Output:
    """Every expected guest's briefing in one PDF, for printing."""
    info, paper, sheets, names = _pack_parts(event_id, params)
    result = services.render_in_parts(sheets, info, paper, names["title"], progress)
    _rendered("print pack", event_id, len(sheets), result)
    return Output(names["pack"], PDF, result.pdf)


def make_each(event_id: int, params: dict, progress: Progress) -> Output:
    """Every expected guest's briefing as its own PDF, in one ZIP file."""
    info, paper, sheets, names = _pack_parts(event_id, params)
    result = services.render_in_parts(sheets, info, paper, names["title"], progress, split=True)
    _rendered("briefings", event_id, len(sheets), result)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for attendee_id, pdf in result.sections.items():
            archive.writestr(names["each"][attendee_id], pdf)
    return Output(names["zip"], ZIP, buffer.getvalue())


def make_run_sheet(event_id: int, params: dict, progress: Progress) -> Output:
    """The organiser's run-sheet."""
    with reading():
        event = _event(event_id)
        document = services.run_sheet_document(event, services.paper_for(params.get("paper")))
        name = services.filename(event, kind="run-sheet")
    progress(0, 1)
    pdf = services.render_document(document).pdf
    progress(1, 1)
    return Output(name, PDF, pdf)


register_kind(PACK, "Print pack", "guests", make_pack)
register_kind(EACH, "Every guest's briefing (ZIP)", "guests", make_each)
register_kind(RUN_SHEET, "Run-sheet", "documents", make_run_sheet)
