"""No secret reaches a log: gunicorn's access log (shipped gunicorn.conf.py) and the app's own lines."""
from __future__ import annotations

import io
import logging
import urllib.request

from eventkit.logmask import mask_secrets
from tests.gunicorn_helpers import running_gunicorn, server_env


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, **headers) -> int:
    """The status of one GET (redirects not followed)."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_gunicorn_access_log_masks_every_secret_url(app, event, make_attendee, make_door, tmp_path):
    guest = make_attendee(event)
    door = make_door(event)
    secrets = [guest.token, guest.code, door.secret]
    with running_gunicorn(server_env(app), tmp_path) as (base_url, access_log, error_log):
        assert _get(f"{base_url}/g/{guest.token}") == 302
        assert _get(f"{base_url}/c/{guest.code}") == 200
        assert _get(f"{base_url}/door/{door.secret}", Referer=f"{base_url}/g/{guest.token}") == 200
        assert _get(f"{base_url}/api/door/{door.secret}/stats") == 200
        assert _get(f"{base_url}/e/{event.slug}/followup/go/{guest.token}?action=done") in (200, 302, 400, 404)
        assert _get(f"{base_url}/healthz?token={guest.token}") == 200
    logged = access_log.read_text() + error_log.read_text()
    assert "GET /g/*** HTTP/1.1" in logged and "GET /api/door/***/stats" in logged
    assert f'"{base_url}/g/***"' in logged  # the Referer
    for secret in secrets:
        assert secret not in logged


def test_the_apps_own_log_lines_mask_secrets(app, event, make_door):
    door = make_door(event)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("eventkit.test_logs")
    logger.addHandler(handler)
    try:
        logger.warning("door %s refused on %s", door.secret, f"/door/{door.secret}")
        try:
            raise ValueError(f"bad scan on /api/door/{door.secret}/scan")
        except ValueError:
            logger.exception("unhandled error on POST %s", f"/api/door/{door.secret}/scan")
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "door *** refused on /door/***" in logged and "ValueError: bad scan on /api/door/***/scan" in logged
    assert door.secret not in logged


def test_masking_keeps_ordinary_addresses_readable():
    assert mask_secrets("GET /events/12/guests?page=2 HTTP/1.1") == "GET /events/12/guests?page=2 HTTP/1.1"
    assert mask_secrets("/e/climate-founders-dinner-2026/me") == "/e/climate-founders-dinner-2026/me"
    assert mask_secrets("sqlalchemy.exc.IntegrityError") == "sqlalchemy.exc.IntegrityError"


def test_the_access_log_masks_the_atoms_its_format_prints_and_keeps_no_other():
    from eventkit.logmask import format_atoms, mask_atoms

    names = format_atoms('%(h)s "%(r)s" %(s)s "%({Referer}i)s" %(M)sms')
    atoms = {"h": "127.0.0.1", "r": "GET /g/Abc123abc123Abc123abc123 HTTP/1.1", "s": "302", "M": 3,
             "{referer}i": "https://example.org/door/s3cret-door-link", "{cookie}i": "session=Zz9" * 5}
    assert mask_atoms(atoms, names) == {"h": "127.0.0.1", "r": "GET /g/*** HTTP/1.1", "s": "302", "M": 3,
                                        "{referer}i": "https://example.org/door/***"}
