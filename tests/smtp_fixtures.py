"""A real SMTP server on loopback (aiosmtpd) and the app pointed at it: `smtp_server`, `smtp_app`.

A pytest plugin (conftest.py's `pytest_plugins`), so every test module can ask for the fixtures.
"""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Accepts and records messages; `mode` "outage" answers 421, "refuse" answers 550."""

    def __init__(self):
        self.mode = "accept"
        self.refused_addresses = set()
        self.received = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "refuse" or address in self.refused_addresses:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "outage":
            return "421 4.3.2 Service not available, closing transmission channel"
        with self.lock:
            self.received.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.received]


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    """The app pointed at the loopback server (plain SMTP: no TLS on loopback)."""
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_STARTTLS=False, MAIL_USE_SSL=False,
        MAIL_USERNAME="", MAIL_TIMEOUT=5, MAIL_FROM="Climate Dinners <hello@eventkit.test>",
    )
    return app
