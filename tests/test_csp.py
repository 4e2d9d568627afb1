"""The Content-Security-Policy allows no inline script or style: no page template may carry one.

Emails (a `.txt` twin or the mail layout) and the WeasyPrint documents are not served to browsers
and keep their inline styles. Run this after merging: any new inline `<script>`, `<style>`,
`style=""` or `on...=` handler in a page template makes it fail with the file and line.
"""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE = {
    "inline <script> (move it to eventkit/static/*.js)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> block (move it to eventkit/static/*.css)": re.compile(r"<style\b", re.I),
    "style= attribute (use a class)": re.compile(r"\sstyle\s*=", re.I),
    "on...= handler (use addEventListener in a static script)": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}
PRINTED = re.compile(r"""{%\s*extends\s+["']briefings/_document\.html["']""")
INCLUDED = re.compile(r"""{%\s*(?:include|import|from)\s+["']([^"']+)["']""")


def not_for_browsers() -> set[Path]:
    """Email bodies and the PDF documents (and what those include)."""
    skipped = {TEMPLATES / "mail" / "_layout.html", TEMPLATES / "briefings" / "_document.html"}
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text()
        if path.with_suffix(".txt").exists() or PRINTED.search(source):
            skipped.add(path)
            skipped.update(TEMPLATES / name for name in INCLUDED.findall(source))
    return skipped


def test_page_templates_have_no_inline_script_or_style():
    skipped = not_for_browsers()
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path in skipped:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found.extend(f"{path.relative_to(TEMPLATES)}:{number}: {what}"
                         for what, pattern in INLINE.items() if pattern.search(line))
    assert not found, "The CSP would block these:\n" + "\n".join(found)


def test_the_scan_sees_inline_code(tmp_path):
    """The patterns catch each kind of inline code (so the scan above cannot pass by matching nothing)."""
    samples = ["<script>alert(1)</script>", "<style>p{}</style>", '<p style="color:red">',
               '<form onsubmit="go()">', '<a href="javascript:go()">']
    for sample, pattern in zip(samples, INLINE.values()):
        assert pattern.search(sample), sample
    assert not INLINE["inline <script> (move it to eventkit/static/*.js)"].search('<script src="/static/a.js">')
    assert TEMPLATES / "base.html" not in not_for_browsers()
    assert TEMPLATES / "mail" / "invitation.html" in not_for_browsers()
