"""QR codes: plain functions returning SVG text or PNG bytes (quiet zone, error correction Q)."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from flask import current_app

QUIET_ZONE = 4  # modules, as the QR standard asks


def checkin_url(code: str) -> str:
    """The URL in a guest's QR: the public base URL and the check-in code, nothing else."""
    return f"{current_app.config['BASE_URL']}/c/{code}"


def _qr(data: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=QUIET_ZONE, box_size=10)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def qr_svg(data: str) -> str:
    """A vector QR code as an SVG document (for pages and print)."""
    image = _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def qr_png(data: str, box_size: int = 10) -> bytes:
    """A QR code as PNG bytes (for email attachments)."""
    qr = _qr(data)
    qr.box_size = box_size
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue()
