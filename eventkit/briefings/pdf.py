"""Turning briefing HTML into PDF bytes in a separate process, with a time limit and size caps.

The parent passes plain data (an HTML string, generated images and the QR codes' text) to a child process started
by a fork server that has WeasyPrint preloaded; the child renders with `SafeFetcher` and sends
the bytes back. A render that runs too long is killed, so a hostile or huge document cannot hold
a web worker; a document with too many pages is refused before it is written.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from eventkit.briefings.fetcher import SafeFetcher, static_base_url
from eventkit.qr import qr_svg

#: anchors of the sections that `split` cuts the document at (id="guest-<attendee id>")
SECTION_PREFIX = "guest-"


class RenderError(Exception):
    """A render was stopped; `message` is safe to show, `code` is machine-readable."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class RenderJob:
    """Everything a render needs, as plain data (it crosses a process boundary)."""

    html: str
    #: name -> (mime type, bytes), served to the document as generated:<name>
    generated: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: name -> text: QR codes the child draws itself and serves as generated:<name> (SVG); drawing
    #: them there keeps the parent's serial work small (qrcode's mask choice is slow pure Python)
    qr_codes: dict[str, str] = field(default_factory=dict)
    max_pages: int = 600
    max_bytes: int = 40 * 1024 * 1024
    #: also return one PDF per section (id="guest-<id>"), cut from the same layout
    split: bool = False
    memory_limit: int = 2 * 1024**3
    #: steps below normal CPU priority the rendering process runs at (the worker's renders give way
    #: to the web processes: RENDER_NICENESS, set by `flask eventkit worker --nice`)
    niceness: int = 0


@dataclass
class RenderResult:
    pdf: bytes
    pages: int
    #: attendee id -> PDF bytes of that guest's pages (only with `split`)
    sections: dict[int, bytes] = field(default_factory=dict)
    fetched: list[tuple[str, str]] = field(default_factory=list)
    #: CPU seconds each rendering process spent (one entry per part)
    cpu_seconds: list[float] = field(default_factory=list)
    #: the niceness the rendering process ran at (the last part's)
    niceness: int = 0


def render(job: RenderJob) -> RenderResult:
    """Render in this process (the child calls it; tests and the benchmark may too)."""
    started = time.process_time()
    generated = dict(job.generated)
    generated.update({name: ("image/svg+xml", qr_svg(text).encode()) for name, text in job.qr_codes.items()})
    fetcher = SafeFetcher(generated)
    document = HTML(string=job.html, base_url=static_base_url(), url_fetcher=fetcher).render()
    if len(document.pages) > job.max_pages:
        raise RenderError(
            f"The document would have {len(document.pages)} pages (the limit is {job.max_pages}).", "too_large"
        )
    pdf = document.write_pdf()
    if len(pdf) > job.max_bytes:
        raise RenderError(f"The PDF would be {len(pdf) // 1024 // 1024} MB, over the limit.", "too_large")
    sections = _split(document) if job.split else {}
    return RenderResult(pdf=pdf, pages=len(document.pages), sections=sections, fetched=fetcher.log,
                        cpu_seconds=[time.process_time() - started])


def _split(document) -> dict[int, bytes]:
    """One PDF per section, from the page of one section's anchor to the page before the next one's."""
    first_page: dict[int, int] = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            key = anchor.removeprefix(SECTION_PREFIX)
            if anchor.startswith(SECTION_PREFIX) and key.isdigit():
                first_page.setdefault(int(key), number)
    starts = sorted((number, attendee_id) for attendee_id, number in first_page.items())
    bounds = [number for number, _ in starts[1:]] + [len(document.pages)]
    return {
        attendee_id: document.copy(document.pages[start:end]).write_pdf()
        for (start, attendee_id), end in zip(starts, bounds)
    }


def _child(conn, job: RenderJob) -> None:
    """Child process entry: cap memory, lower its CPU priority, render, send ("ok", result) or ("error", message, code)."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (job.memory_limit, job.memory_limit))
        os.nice(job.niceness)
        result = render(job)
        result.niceness = os.nice(0)
        conn.send(("ok", result))
    except RenderError as error:
        conn.send(("error", error.message, error.code))
    except MemoryError:
        conn.send(("error", "The document is too large to render.", "too_large"))
    except Exception as error:  # noqa: BLE001  (reported to the parent, never a traceback to users)
        conn.send(("error", f"The renderer failed ({type(error).__name__}).", "render_failed"))
    finally:
        conn.close()


_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["eventkit.briefings.pdf"])
#: one render at a time per process (a web process, or the worker, whose renders then queue); the rest
#: wait, up to their time limit
_slots = threading.BoundedSemaphore(1)


def render_isolated(job: RenderJob, timeout: float) -> RenderResult:
    """Render in a child process; raise RenderError if it fails or takes longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    with _slot(timeout):
        return _run_child(job, timeout, max(deadline - time.monotonic(), 0.001))


def render_parallel(jobs: list[RenderJob], timeout: float) -> RenderResult:
    """Render consecutive parts of one pack side by side (one child each) and join them in order.

    Measured faster than one document on a multi-core machine (bench/briefings.py); each part is
    still one WeasyPrint document, and the whole stays under the same time limit. The parts share
    the process's one render slot: it is one render.
    """
    if len(jobs) == 1:
        return render_isolated(jobs[0], timeout)
    deadline = time.monotonic() + timeout
    with _slot(timeout), ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        parts = list(pool.map(lambda job: _run_child(job, timeout, max(deadline - time.monotonic(), 0.001)), jobs))
    return join(parts, max_pages=jobs[0].max_pages, max_bytes=jobs[0].max_bytes)


@contextmanager
def _slot(timeout: float):
    if not _slots.acquire(timeout=timeout):
        raise RenderError("The PDF renderer is busy with other documents. Try again in a minute.", "busy")
    try:
        yield
    finally:
        _slots.release()


def join(parts: list[RenderResult], max_pages: int, max_bytes: int) -> RenderResult:
    """One PDF from several, pages in order (pypdf keeps the bookmarks)."""
    pages = sum(part.pages for part in parts)
    if pages > max_pages:
        raise RenderError(f"The document would have {pages} pages (the limit is {max_pages}).", "too_large")
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part.pdf)))
    buffer = io.BytesIO()
    writer.write(buffer)
    if buffer.tell() > max_bytes:
        raise RenderError(f"The PDF would be {buffer.tell() // 1024 // 1024} MB, over the limit.", "too_large")
    sections = {key: value for part in parts for key, value in part.sections.items()}
    fetched = [entry for part in parts for entry in part.fetched]
    cpu = [seconds for part in parts for seconds in part.cpu_seconds]
    return RenderResult(pdf=buffer.getvalue(), pages=pages, sections=sections, fetched=fetched, cpu_seconds=cpu,
                        niceness=max(part.niceness for part in parts))


def _run_child(job: RenderJob, timeout: float, remaining: float) -> RenderResult:
    receiver, sender = _context.Pipe(duplex=False)
    process = _context.Process(target=_child, args=(sender, job), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(remaining):
            raise RenderError(
                f"Rendering took longer than {timeout:g} seconds and was stopped. "
                "Try again later, or download the briefings one by one.", "timeout"
            )
        message = receiver.recv()
    except EOFError:
        raise RenderError("The renderer stopped unexpectedly (the document may be too large).", "render_failed") from None
    finally:
        receiver.close()
        _stop(process)
    if message[0] == "error":
        raise RenderError(message[1], message[2])
    return message[1]


def _stop(process) -> None:
    process.join(timeout=1)
    if process.is_alive():
        process.kill()
        process.join()
