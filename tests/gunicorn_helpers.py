"""Run the shipped gunicorn.conf.py against the test database, on a free port, for a test."""
from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"Listening at: https?://127\.0\.0\.1:(\d+)")
#: this worktree's port range, for a server whose address must be known before it starts
PORTS = range(8300, 8400)


def free_port() -> int:
    """A port of PORTS that nothing listens on right now."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 made with openssl: (certificate, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def server_env(app, **extra) -> dict:
    """The environment of a production gunicorn sharing the test app's database and key."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EVENTKIT_", "MAIL_"))}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "EVENTKIT_OUTBOX_DIR": app.config["OUTBOX_DIR"],
    })
    env.update(extra)
    return env


def _port_from(error_log: Path, server: subprocess.Popen, deadline: float) -> int:
    while time.monotonic() < deadline:
        found = LISTENING.search(error_log.read_text()) if error_log.exists() else None
        if found:
            return int(found.group(1))
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{error_log.read_text()}")
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start:\n{error_log.read_text()}")


def _wait_healthy(base_url: str, deadline: float) -> None:
    context = ssl._create_unverified_context()  # the test's self-signed certificate
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{base_url}/healthz never answered")


@contextmanager
def running_gunicorn(env: dict, log_dir: Path, *extra_args: str, https: bool = False, port: int = 0):
    """gunicorn -c gunicorn.conf.py wsgi:app on 127.0.0.1:`port` (0: any free one).

    Yields (base URL, access log, error log).
    """
    access_log, error_log = log_dir / "access.log", log_dir / "error.log"
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--threads", "4", "--access-logfile", str(access_log),
               "--error-logfile", str(error_log), *extra_args, "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        base_url = f"{'https' if https else 'http'}://127.0.0.1:{_port_from(error_log, server, deadline)}"
        _wait_healthy(base_url, deadline)
        yield base_url, access_log, error_log
    finally:
        server.terminate()
        server.wait(timeout=30)
