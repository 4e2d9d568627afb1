"""What every browser test needs: Debian's Chromium (or a skip) and the app served on loopback: `live_server`.

A pytest plugin (conftest.py's `pytest_plugins`), so every test module can ask for the fixture. A browser
test module starts with `pytestmark = BROWSER` (or `[*BROWSER, ...]`) and launches `CHROMIUM`.
"""
from __future__ import annotations

import logging
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
#: skip, rather than fail, where Chromium is not installed (bootstrap installs it)
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"Debian's Chromium is not installed at {CHROMIUM}")
#: the marks of a module of browser tests (`-m "not browser"` leaves them out)
BROWSER = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_server(app, request):
    """The app on 127.0.0.1 and a free port, in a thread, against the test database; yields its base URL.

    A test or module marked `quiet_access_log` turns werkzeug's access log off meanwhile: a crawl's
    thousands of request lines would bury the failure report.
    """
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    if request.node.get_closest_marker("quiet_access_log"):
        access_log.setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    access_log.setLevel(level)
