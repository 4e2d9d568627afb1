"""Guest lists in and out of CSV: parsing an import into valid rows and reasons, and the export."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from eventkit.attendees.models import Attendee
from eventkit.attendees.services import GuestData, normalise_email
from eventkit.downloads import csv_text
from eventkit.errors import DomainError
from eventkit.events.models import Event

MAX_IMPORT_BYTES = 512 * 1024
MAX_IMPORT_ROWS = 2000
PAYLOAD_MAX_AGE = 3600  # seconds a preview stays valid
#: accepted header names (lower-cased) for each column, as written by spreadsheets and event platforms
HEADER_ALIASES = {
    "name": {"name", "full name", "fullname", "guest name", "attendee name"},
    "email": {"email", "e-mail", "email address", "e-mail address", "mail"},
    "organisation": {"organisation", "organization", "company", "org", "affiliation"},
    "role": {"role", "title", "job title", "position"},
    "field": {"field", "industry", "sector", "area"},
    "first_name": {"first name", "firstname", "given name"},
    "last_name": {"last name", "lastname", "surname", "family name"},
}
LIMITS = {"name": 120, "organisation": 120, "role": 120, "field": 80}


@dataclass
class RowProblem:
    line: int
    reason: str
    text: str = ""


@dataclass
class ImportPreview:
    rows: list[tuple[int, GuestData]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def max_import_bytes() -> int:
    """The upload limit (config GUEST_IMPORT_MAX_BYTES, default 512 KB: thousands of guests)."""
    return int(current_app.config.get("GUEST_IMPORT_MAX_BYTES", MAX_IMPORT_BYTES))


def decode_upload(raw: bytes) -> str:
    """The upload as text: UTF-8 with or without BOM; anything else is refused with a clear message."""
    limit = max_import_bytes()
    if len(raw) > limit:
        raise DomainError(f"The file is too large (more than {limit // 1024} KB). "
                          "Split it into smaller files.", "too_large", 413)
    if not raw.strip():
        raise DomainError("The file is empty.", "empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("The file is not UTF-8 text. In your spreadsheet, save it as "
                          "“CSV UTF-8” and upload it again.", "encoding") from None


def detect_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def map_header(header: list[str]) -> dict[str, int]:
    """Column index per known column; unknown columns are ignored."""
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = " ".join(raw.strip().lower().replace("_", " ").split())
        for column, aliases in HEADER_ALIASES.items():
            if name in aliases and column not in columns:
                columns[column] = index
    if "email" not in columns:
        raise DomainError("The first line must name the columns, with at least name and email "
                          "(organisation, role and field are optional).", "header")
    if "name" not in columns and "first_name" not in columns:
        raise DomainError("The header has no name column (name, or first name and last name).", "header")
    return columns


def _cell(record: list[str], columns: dict[str, int], column: str) -> str:
    index = columns.get(column)
    if index is None or index >= len(record):
        return ""
    return " ".join(record[index].split())


def _row_name(record: list[str], columns: dict[str, int]) -> str:
    if "name" in columns:
        return _cell(record, columns, "name")
    return " ".join(p for p in (_cell(record, columns, "first_name"), _cell(record, columns, "last_name")) if p)


def check_email(value: str) -> str | None:
    """The normalised address, or None when it is malformed."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return normalise_email(value)


def row_problem(data: GuestData, raw_email: str, seen: set[str], on_list: set[str]) -> str | None:
    """Why a row cannot be imported, or None."""
    if not raw_email:
        return "missing email"
    if not data.email:
        return f"malformed email “{raw_email}”"
    if not data.name:
        return "missing name"
    if data.email in seen:
        return f"duplicate in file ({data.email} appears on an earlier line)"
    if data.email in on_list:
        return f"already on the list ({data.email})"
    return None


def _records(text: str):
    """(first line number, record) for each non-blank record; the header is line 1."""
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text), delimiter=detect_delimiter(lines[0] if lines else ""))
    line = 1
    for record in reader:
        start, line = line, reader.line_num + 1
        if any(cell.strip() for cell in record):
            yield start, record


def parse_import(text: str, on_list: set[str]) -> ImportPreview:
    """Every row of the CSV, either valid or with its line number and reason."""
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise DomainError("The file is empty.", "empty")
    columns = map_header(first[1])
    preview, seen = ImportPreview(), set()
    for line, record in records:
        if len(preview.rows) + len(preview.problems) >= MAX_IMPORT_ROWS:
            raise DomainError(f"The file has more than {MAX_IMPORT_ROWS} guests; split it.", "too_many", 413)
        raw_email = _cell(record, columns, "email")
        data = guest_from(_row_name(record, columns), check_email(raw_email) if raw_email else "",
                          *(_cell(record, columns, c) for c in ("organisation", "role", "field")))
        reason = row_problem(data, raw_email, seen, on_list)
        if reason:
            preview.problems.append(RowProblem(line, reason, ", ".join(record)[:200]))
        else:
            seen.add(data.email)
            preview.rows.append((line, data))
    return preview


def guest_from(name: str, email: str | None, organisation: str = "", role: str = "", field_: str = "") -> GuestData:
    return GuestData(name=name[: LIMITS["name"]], email=email or "", organisation=organisation[: LIMITS["organisation"]],
                     role=role[: LIMITS["role"]], field=field_[: LIMITS["field"]])


# -- carrying the valid rows from the preview to the confirmation -------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="eventkit.guest-import")


def sign_rows(event: Event, preview: ImportPreview) -> str:
    return _serializer().dumps({"event": event.id, "rows": [[line, asdict(data)] for line, data in preview.rows]})


def load_rows(event: Event, payload: str) -> list[tuple[int, dict]]:
    """The rows signed at preview time for this event; refused when tampered with, foreign or stale."""
    try:
        data = _serializer().loads(payload or "", max_age=PAYLOAD_MAX_AGE)
    except BadSignature:
        raise DomainError("This import preview is invalid or more than an hour old. "
                          "Upload the file again.", "bad_payload") from None
    if not isinstance(data, dict) or data.get("event") != event.id:
        raise DomainError("This import preview belongs to another gathering. Upload the file again.", "bad_payload")
    return data["rows"]


def revalidate(rows: list[tuple[int, dict]], on_list: set[str]) -> ImportPreview:
    """Check signed rows again at confirmation: someone may have been added in the meantime."""
    preview, seen = ImportPreview(), set()
    for line, values in rows:
        raw_email = str(values.get("email", ""))
        data = guest_from(str(values.get("name", "")), check_email(raw_email) if raw_email else "",
                          str(values.get("organisation", "")), str(values.get("role", "")), str(values.get("field", "")))
        reason = row_problem(data, raw_email, seen, on_list)
        if reason:
            preview.problems.append(RowProblem(line, reason))
        else:
            seen.add(data.email)
            preview.rows.append((line, data))
    return preview


# -- export -------------------------------------------------------------------------------------

EXPORT_HEADER = ["name", "email", "organisation", "role", "field", "status", "checked_in_at",
                 "profile_complete", "has_offers", "has_seeks"]


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _checked_in(event: Event, attendee: Attendee) -> str:
    return attendee.checked_in_at.astimezone(event.zone).isoformat(timespec="minutes") if attendee.checked_in_at else ""


#: other features' extra export columns: (event, attendees) -> (headers, {attendee id: values})
EXPORT_COLUMNS: list[Callable[[Event, list[Attendee]], tuple[list[str], dict[int, list[str]]]]] = []


def register_export_columns(provider) -> None:
    """Add columns to the guest-list CSV (e.g. the answers to the registration questions), once."""
    if provider not in EXPORT_COLUMNS:
        EXPORT_COLUMNS.append(provider)


def export_csv(event: Event, attendees: list[Attendee]) -> bytes:
    """The guest list as UTF-8 CSV (with a BOM so spreadsheet tools read accents right)."""
    extras = [provider(event, attendees) for provider in EXPORT_COLUMNS]
    header = EXPORT_HEADER + [name for names, _values in extras for name in names]
    rows = ((a.name, a.email, a.organisation, a.role, a.field, a.status, _checked_in(event, a),
             _yes(a.profile_complete), _yes(a.has_offers), _yes(a.has_seeks),
             *(value for _names, values in extras for value in values.get(a.id, []))) for a in attendees)
    return ("\ufeff" + csv_text(header, rows)).encode("utf-8")
