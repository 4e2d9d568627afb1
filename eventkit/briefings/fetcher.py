"""The only URL fetcher WeasyPrint gets: the package's static files and images we generated, nothing else.

Guest text is escaped by Jinja before it reaches the renderer, so attendee input never becomes a
URL; this fetcher is the second wall. It refuses file:// paths outside eventkit/static, every
network scheme, data: URIs (we never write them) and anything unknown, and it logs what it was asked.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: images rendered for this document (QR codes), addressed as generated:<name>
GENERATED_SCHEME = "generated"
STATIC_SUFFIXES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class RefusedURL(ValueError):
    """The fetcher refused a URL (WeasyPrint skips the resource and carries on)."""


class SafeFetcher(URLFetcher):
    """Serve `generated:<name>` from memory and `file://` only inside eventkit/static; refuse the rest."""

    def __init__(self, generated: dict[str, tuple[str, bytes]] | None = None, static_dir: Path = STATIC_DIR):
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.generated = dict(generated or {})
        self.static_dir = static_dir.resolve()
        #: (url, "served" | "refused") for every request, in order
        self.log: list[tuple[str, str]] = []

    def fetch(self, url, headers=None):
        try:
            response = self._serve(url)
        except RefusedURL:
            self.log.append((url, "refused"))
            raise
        self.log.append((url, "served"))
        return response

    def _serve(self, url: str) -> URLFetcherResponse:
        scheme, _, path, _, _ = urlsplit(url)
        if scheme == GENERATED_SCHEME and path in self.generated:
            mime, body = self.generated[path]
            return URLFetcherResponse(url, body, {"Content-Type": mime})
        if scheme == "file":
            return self._static(url, unquote(path))
        raise RefusedURL(f"briefing renderer refuses {url[:80]!r}")

    def _static(self, url: str, path: str) -> URLFetcherResponse:
        target = Path(path).resolve()
        mime = STATIC_SUFFIXES.get(target.suffix)
        if not target.is_relative_to(self.static_dir) or mime is None or not target.is_file():
            raise RefusedURL(f"briefing renderer refuses {url[:80]!r}")
        return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": mime})


def static_base_url(static_dir: Path = STATIC_DIR) -> str:
    """Base URL of the documents, so `briefings.css` resolves to the package's static file."""
    return static_dir.resolve().as_uri() + "/"

