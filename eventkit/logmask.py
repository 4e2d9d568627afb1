"""Log lines never carry a secret: the secret part of every secret URL is masked.

A personal link (/g/<token>), a door link (/door/<secret>, /api/door/<secret>/...), a check-in
code (/c/<code>), a one-click follow-up link (.../followup/go/<token>), an account confirmation
link (/auth/confirm/<token>), a `token=`/`secret=`/
`code=`/`key=` query value, and any token-shaped word (24 or more URL-safe characters mixing
upper case, lower case and a digit, `-` or `_`, as `secrets.token_urlsafe` makes: a net for
secret URLs added later) become `***`.
`install()` masks every log record's message in this process (the app's loggers, werkzeug's
request lines, gunicorn's error log); gunicorn.conf.py masks its access log with `mask_atoms`.
"""
from __future__ import annotations

import functools
import logging
import re

MASK = "***"
_SECRET_SEGMENTS = re.compile(
    r"(/(?:g|door|api/door|c|followup/go|auth/confirm)/)[^/?#\s\"']+"
)
_SECRET_PARAMETERS = re.compile(r"([?&;](?:token|secret|code|key)=)[^&#\s\"']+", re.I)
_TOKEN_SHAPED = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[A-Z])(?=[A-Za-z0-9_-]*[a-z])"
                           r"(?=[A-Za-z0-9_-]*[0-9_-])[A-Za-z0-9_-]{24,}(?![A-Za-z0-9_-])")


def mask_secrets(text: str) -> str:
    """`text` with the secret part of every secret URL (and every token-shaped word) replaced by ***."""
    if not text:
        return text
    text = _SECRET_SEGMENTS.sub(rf"\1{MASK}", text)
    text = _SECRET_PARAMETERS.sub(rf"\1{MASK}", text)
    return _TOKEN_SHAPED.sub(MASK, text)


def mask_atoms(atoms: dict, names: frozenset[str]) -> dict:
    """The gunicorn access-log atoms in `names` (those the log format prints: see `format_atoms`), every
    text value masked (request line, path, query, Referer...)."""
    printed = {name: atoms[name] for name in names if name in atoms}
    return {name: mask_secrets(value) if isinstance(value, str) else value for name, value in printed.items()}


@functools.lru_cache(maxsize=8)
def format_atoms(log_format: str) -> frozenset[str]:
    """The atoms an access-log format prints (`%(r)s`, `%({referer}i)s`...), as gunicorn looks them up:
    the other atoms (every request and response header, every environ variable) are never printed, so
    they are neither masked nor kept (masking them all cost more than the rest of the log line)."""
    return frozenset(name.lower() if name.startswith("{") else name
                     for name in re.findall(r"%\(([^)]+)\)", log_format))


class MaskedLogRecord(logging.LogRecord):
    """A log record whose message, and the text of its exception, are masked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.exc_info:  # formatters print exc_text when it is set
            self.exc_text = mask_secrets(logging.Formatter().formatException(self.exc_info))

    def getMessage(self) -> str:
        return mask_secrets(super().getMessage())


def install() -> None:
    """Mask every log record made in this process from now on."""
    logging.setLogRecordFactory(MaskedLogRecord)
