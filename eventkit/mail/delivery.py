"""Turning an outbox row into a real email and handing it over: SMTP, or .eml files.

`build_message` makes the RFC 5322 message; a transport delivers it and raises `TemporaryFailure`
or `PermanentFailure` so the sender knows whether to retry. Nothing here touches the database.
"""
from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from eventkit.mail.models import OutboundEmail

#: SMTP replies to AUTH that mean "wrong or missing credentials": a setup problem, so retried
AUTH_CODES = frozenset({530, 534, 535, 538})


class DeliveryError(Exception):
    """A message could not be handed over; `reason` is shown to the organiser."""

    temporary = True

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryError):
    """Try again later (4xx replies, the server unreachable or hanging up, a full disk)."""


class PermanentFailure(DeliveryError):
    """Retrying cannot help (5xx replies, an address that cannot be written)."""

    temporary = False


class Bounce(PermanentFailure):
    """The receiving server refused the address or the message for good (a 5xx reply): a hard bounce."""


class ConnectionFailure(TemporaryFailure):
    """No session with the server at all: every message of the batch waits for the next run."""


def one_line(value: str) -> str:
    """Collapse all whitespace (CR/LF included) so a value can never inject a mail header."""
    return " ".join(str(value or "").split())


def parse_address(value: str, display_name: str = "") -> Address:
    """An `Address` from an addr-spec; PermanentFailure if it is not one clean address."""
    try:
        address = Address(display_name=one_line(display_name), addr_spec=one_line(value))
    except (ValueError, IndexError, TypeError, HeaderParseError) as error:  # "a@@b" raises HeaderParseError
        raise PermanentFailure(f"Invalid email address {one_line(value)!r}: {error}") from None
    if not address.username or not address.domain:
        raise PermanentFailure(f"Invalid email address {one_line(value)!r}: it needs a name and a domain.")
    if not address.domain.isascii():
        address = Address(address.display_name, address.username, _ascii_domain(address.domain, value))
    return address


def _ascii_domain(domain: str, value: str) -> str:
    """An international domain in its IDNA (xn--) form, which every mail server accepts."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise PermanentFailure(f"Invalid email address {one_line(value)!r}: {error}") from None


def sender_address(mail_from: str) -> Address:
    """MAIL_FROM ("Name <addr@host>" or "addr@host") as an Address."""
    name, addr = parseaddr(one_line(mail_from))
    return parse_address(addr or mail_from, name)


def message_id(email: OutboundEmail, domain: str) -> str:
    """A Message-ID that stays the same across retries, so receivers can spot a duplicate."""
    digest = hashlib.sha256(email.dedupe_key.encode("utf-8")).hexdigest()[:20]
    return f"<eventkit.{email.id}.{digest}@{domain}>"


class ListHeader(str):
    """A header holding `<URL>`s (RFC 2369), folded only after its commas.

    The email package would turn a URL longer than a line into RFC 2047 encoded words, which no
    mail client reads as a URL; a value with a `name` and `fold()` is written as it is.
    """

    name: str

    def __new__(cls, name: str, value: str) -> ListHeader:
        header = super().__new__(cls, one_line(value))
        header.name = name
        return header

    def fold(self, *, policy) -> str:
        return f"{self.name}: " + f",{policy.linesep} ".join(re.split(r"(?<=>)\s*,\s*", self)) + policy.linesep


def header_value(name: str, value: str):
    """What `message[name]` is set to: an Address for Reply-To, a `ListHeader` for List-*, else one line."""
    if name == "Reply-To":
        return sender_address(value)
    if name.startswith("List-") and "<" in value:
        return ListHeader(name, value)
    return one_line(value)


def build_message(email: OutboundEmail, mail_from: str, now: datetime, links: dict[str, str] | None = None,
                  extra_headers: list[tuple[str, str]] = ()) -> EmailMessage:
    """The complete message: headers, text and HTML alternatives, then the attachments.

    `links`: the URL made for each link placeholder of the bodies (`eventkit.mail.links`);
    `extra_headers` come from `eventkit.mail.headers.extra_headers` (Reply-To, List-Unsubscribe, ...).
    """
    sender = sender_address(mail_from)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = parse_address(email.to_email, email.to_name)
    message["Subject"] = one_line(email.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(email, sender.domain)
    for name, value in extra_headers:
        message[name] = header_value(name, value)
    message.set_content(fill_links(email.body_text, links or {}))
    if email.body_html:
        message.add_alternative(fill_links(email.body_html, links or {}), subtype="html")
    for item in email.attachments:
        maintype, _, subtype = (item.mimetype or "application/octet-stream").partition("/")
        message.add_attachment(
            item.content, maintype=maintype, subtype=subtype or "octet-stream", filename=one_line(item.filename)
        )
    return message


def fill_links(text: str, links: dict[str, str]) -> str:
    """`text` with each placeholder in `links` replaced by its URL."""
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
    return text


def slugify(value: str, max_length: int = 60) -> str:
    """A file-name-safe ASCII slug ("You're invited: Rust & tea" -> "you-re-invited-rust-tea")."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "message"


@dataclass
class FileTransport:
    """Development delivery: each message becomes `<id>-<subject-slug>.eml` under `directory`."""

    directory: Path

    def send(self, email: OutboundEmail, message: EmailMessage) -> None:
        name = f"{email.id:06d}-{slugify(email.subject)}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            with os.fdopen(handle, "wb") as stream:
                stream.write(bytes(message))
            os.replace(temporary, self.directory / name)
        except OSError as error:
            raise TemporaryFailure(f"Could not write {self.directory / name}: {error}") from None

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class SMTPSettings:
    host: str
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 20.0

    @classmethod
    def from_config(cls, config) -> SMTPSettings:
        return cls(
            host=config["MAIL_SERVER"],
            port=int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_SSL") else 587)),
            starttls=bool(config.get("MAIL_USE_STARTTLS")) and not config.get("MAIL_USE_SSL"),
            ssl=bool(config.get("MAIL_USE_SSL")),
            username=config.get("MAIL_USERNAME", ""),
            password=config.get("MAIL_PASSWORD", ""),
            timeout=float(config.get("MAIL_TIMEOUT") or 20),
        )


class SMTPTransport:
    """One SMTP session reused for a batch; reconnects after the server hangs up."""

    def __init__(self, settings: SMTPSettings):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def send(self, email: OutboundEmail, message: EmailMessage) -> None:
        connection = self.connection or self._connect()
        recipient = one_line(email.to_email)
        try:
            refused = connection.send_message(message, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            code, reply = error.recipients.get(recipient, next(iter(error.recipients.values()), (0, b"")))
            raise classify_reply(code, reply, "refused the recipient") from None
        except smtplib.SMTPResponseException as error:
            self._drop()
            raise classify_reply(error.smtp_code, error.smtp_error, "refused the message") from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentFailure(
                f"The mail server cannot deliver to the international address {recipient!r} (no SMTPUTF8)."
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise TemporaryFailure(f"Connection to the mail server lost: {describe(error)}") from None
        if refused:
            code, reply = refused.get(recipient, (0, b""))
            raise classify_reply(code, reply, "refused the recipient")

    def close(self) -> None:
        """End the session politely."""
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        where = f"{settings.host}:{settings.port}"
        connection: smtplib.SMTP | None = None
        try:
            if settings.ssl:
                connection = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
                if settings.starttls:
                    connection.starttls(context=ssl.create_default_context())
            if settings.username:
                connection.login(settings.username, settings.password)
        except smtplib.SMTPAuthenticationError as error:
            _quietly_close(connection)
            raise ConnectionFailure(
                f"The mail server {where} refused the login for MAIL_USERNAME "
                f"({error.smtp_code} {decode(error.smtp_error)}); check MAIL_USERNAME and MAIL_PASSWORD."
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            _quietly_close(connection)
            raise ConnectionFailure(
                f"The mail server {where} does not support {describe(error)}; "
                "check MAIL_USE_STARTTLS / MAIL_USE_SSL / MAIL_USERNAME."
            ) from None
        except smtplib.SMTPResponseException as error:
            _quietly_close(connection)
            raise ConnectionFailure(
                f"The mail server {where} refused the session: {error.smtp_code} {decode(error.smtp_error)}"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            _quietly_close(connection)
            raise ConnectionFailure(f"Could not connect to the mail server {where}: {describe(error)}") from None
        self.connection = connection
        return connection

    def _drop(self) -> None:
        _quietly_close(self.connection)
        self.connection = None


def _quietly_close(connection: smtplib.SMTP | None) -> None:
    if connection is not None:
        try:
            connection.close()
        except OSError:
            pass


def decode(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return one_line(reply)


def describe(error: BaseException) -> str:
    text = one_line(str(error))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def classify_reply(code: int, reply: bytes | str, what: str) -> DeliveryError:
    """4xx (and unknown codes) are temporary; 5xx are permanent, except login problems."""
    reason = f"The mail server {what}: {code} {decode(reply)}".rstrip()
    if 500 <= code < 600 and code not in AUTH_CODES:
        return Bounce(reason)
    return TemporaryFailure(reason)


def transport_for(config) -> FileTransport | SMTPTransport:
    """SMTP when MAIL_SERVER is set, otherwise .eml files under OUTBOX_DIR."""
    if config.get("MAIL_SERVER"):
        return SMTPTransport(SMTPSettings.from_config(config))
    return FileTransport(Path(config["OUTBOX_DIR"]))
