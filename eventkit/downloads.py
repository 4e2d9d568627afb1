"""Files the browser downloads: one response helper, and CSV cells spreadsheets will not run."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

#: a cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def content_disposition(filename: str, inline: bool = False) -> str:
    """`attachment; filename="…"` (or `inline`); a non-ASCII name also goes in `filename*` (RFC 6266)."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("\\", "_").replace('"', "_")
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if not filename.isascii():
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def download(body: bytes | str, filename: str, mimetype: str, *, inline: bool = False,
             headers: dict[str, str] | None = None) -> Response:
    """A response the browser saves as `filename` (or shows, when `inline`), with extra `headers`."""
    response = Response(body, mimetype=mimetype, headers=headers)
    response.headers["Content-Disposition"] = content_disposition(filename, inline)
    return response


def safe_cell(value) -> str:
    """A CSV cell spreadsheets will not run as a formula (OWASP CSV injection): such text gets a `'`."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """CSV (RFC 4180 line ends) of a header and rows, every row cell made safe by `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()
