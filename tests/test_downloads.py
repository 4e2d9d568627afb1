"""The shared download helpers: Content-Disposition, and CSV cells a spreadsheet will not run."""
from __future__ import annotations

import csv
import io

import pytest

from eventkit.downloads import content_disposition, csv_text, download, safe_cell


def test_download_names_the_file_and_keeps_extra_headers():
    response = download(b"%PDF-", "dinner-run-sheet.pdf", "application/pdf", headers={"Cache-Control": "no-store"})
    assert response.headers["Content-Disposition"] == 'attachment; filename="dinner-run-sheet.pdf"'
    assert response.mimetype == "application/pdf" and response.headers["Cache-Control"] == "no-store"
    assert download("x", "a.pdf", "application/pdf", inline=True).headers["Content-Disposition"] == \
        'inline; filename="a.pdf"'


def test_a_name_with_quotes_or_accents_cannot_break_the_header():
    assert content_disposition('a"b\\c.csv') == 'attachment; filename="a_b_c.csv"'
    header = content_disposition("café.ics")
    assert header == "attachment; filename=\"caf?.ics\"; filename*=UTF-8''caf%C3%A9.ics"


@pytest.mark.parametrize("text", ["=SUM(A1:A2)", "+1", "-2", "@cmd", "\tx", "\rx"])
def test_formula_cells_are_neutralised(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value, cell", [(None, ""), (42, "42"), ("Ana O'Neil", "Ana O'Neil"), ("", "")])
def test_plain_cells_are_kept(value, cell):
    assert safe_cell(value) == cell


def test_csv_text_guards_every_row_cell_and_reads_back():
    text = csv_text(["name", "note"], [["=HYPERLINK(\"x\")", "a, b"], ["Bo", None]])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [["name", "note"], ["'=HYPERLINK(\"x\")", "a, b"], ["Bo", ""]]
