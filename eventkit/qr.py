"""QR codes: plain functions returning SVG text or PNG bytes (quiet zone, error correction Q)."""
from __future__ import annotations

import functools
import io

import qrcode

from eventkit.urls import external_url_for

QUIET_ZONE = 4  # modules, as the QR standard asks


def checkin_url(code: str) -> str:
    """The URL in a guest's QR: the public base URL and the check-in code, nothing else."""
    return external_url_for("checkin.landing", code=code)


def _qr(data: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=QUIET_ZONE, box_size=10)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


@functools.lru_cache(maxsize=512)
def qr_svg(data: str) -> str:
    """A vector QR code as an SVG document (for pages and print).

    One path drawing each horizontal run of dark modules as a one-module-wide stroke (butt caps,
    so exactly the modules' squares): the same picture as qrcode's SvgPathImage, which writes one
    closed subpath per module, in a fraction of the path commands, so WeasyPrint draws it several
    times faster. The quiet zone is part of the viewBox. A pure function of `data`, so the last few hundred are
    kept (a guest's page shows the same code on every visit; encoding it is most of that page's time).
    """
    matrix = _qr(data).get_matrix()  # includes the quiet zone
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}.5h{x - start}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{size}mm" height="{size}mm" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<path fill="none" stroke="#000" stroke-width="1" stroke-linecap="butt" d="{"".join(runs)}"/></svg>'
    )


def qr_png(data: str, box_size: int = 10) -> bytes:
    """A QR code as PNG bytes (for email attachments)."""
    qr = _qr(data)
    qr.box_size = box_size
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue()
