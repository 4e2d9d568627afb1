"""Configuration from environment variables (each one is documented in the README)."""
from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask

#: tuning limits that may be set from the environment (numbers; see the README)
NUMERIC_SETTINGS = (
    "GUEST_IMPORT_MAX_BYTES",
    "BRIEFINGS_RENDER_TIMEOUT",
    "BRIEFINGS_MAX_PACK_GUESTS",
    "BRIEFINGS_MAX_PAGES",
    "BRIEFINGS_MAX_PDF_BYTES",
    "BRIEFINGS_RENDER_WORKERS",
    "BRIEFINGS_PARALLEL_MIN_GUESTS",
)
#: numbers read from variables with the EVENTKIT_ prefix (the setting is the name without it)
PREFIXED_NUMERIC_SETTINGS = ("EVENTKIT_NEW_ACCOUNT_DAILY_MAIL",)
WEAK_KEYS = {"dev", "secret", "changeme", "change-me", "development"}
MIN_KEY_LENGTH = 32
#: a production SECRET_KEY must carry at least this many bits by the estimate in `key_entropy_bits`
MIN_KEY_BITS = 128
KEY_ADVICE = 'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'


class ConfigError(click.ClickException, RuntimeError):
    """A setting that is missing or unusable; the message says what to set.

    Being a ClickException, `flask ...` commands print it as one line ("Error: ...") instead of a
    traceback; gunicorn and other callers see a RuntimeError.
    """


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(instance_path: str) -> str:
    """`DATABASE_URL`, normalised to the psycopg 3 driver; default: SQLite under instance/."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'eventkit.db'}"
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _numbers() -> dict:
    values = {}
    for name in NUMERIC_SETTINGS + PREFIXED_NUMERIC_SETTINGS:
        raw = os.environ.get(name, "").strip()
        if raw:
            values[name.removeprefix("EVENTKIT_")] = float(raw) if "." in raw else int(raw)
    return values


def from_environment(instance_path: str) -> dict:
    """Settings read from the environment."""
    return _numbers() | {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "BASE_URL": os.environ.get("EVENTKIT_BASE_URL", "http://localhost:5000").rstrip("/"),
        "TRUSTED_PROXIES": int(os.environ.get("EVENTKIT_TRUSTED_PROXIES") or 0),
        "ALLOW_SIGNUP": _bool("EVENTKIT_ALLOW_SIGNUP", True),
        "DEVELOPMENT": os.environ.get("EVENTKIT_ENV", "production") == "development",
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or (465 if _bool("MAIL_USE_SSL", False) else 587)),
        "MAIL_USE_STARTTLS": _bool("MAIL_USE_STARTTLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "12")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "eventkit <noreply@localhost>"),
        "MAIL_REPLY_TO": os.environ.get("MAIL_REPLY_TO", ""),
        "MAIL_UNSUBSCRIBE_ADDRESS": os.environ.get("MAIL_UNSUBSCRIBE_ADDRESS", ""),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "20")),
        "OUTBOX_DIR": os.environ.get("EVENTKIT_OUTBOX_DIR", str(Path(instance_path) / "outbox")),
        "GUEST_LINK_DAYS_AFTER": int(os.environ.get("EVENTKIT_GUEST_LINK_DAYS_AFTER") or "30"),
        "QUEUE_URL": os.environ.get("EVENTKIT_QUEUE_URL", "").strip(),
        "WORKER_THREADS": int(os.environ.get("EVENTKIT_WORKER_THREADS") or 2),
        "JOB_FILE_HOURS": float(os.environ.get("EVENTKIT_JOB_FILE_HOURS") or 24),
    }


def configure(app: Flask, test_config: dict | None) -> None:
    """Load defaults, then the environment, then `test_config`; make sure a secret key exists."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        PASSWORD_HASH_METHOD="scrypt",
    )
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SECRET_KEY"] = _secret_key(app)
    _secure_cookies(app)


def _secure_cookies(app: Flask) -> None:
    """Session and remember-me cookies travel only over HTTPS whenever the public address is https."""
    https = app.config["BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = https
    app.config["REMEMBER_COOKIE_SECURE"] = https


def key_entropy_bits(key: str) -> float:
    """A rough estimate of a key's randomness: its length times the Shannon entropy of its characters.

    Forty 'a's score 0, `secrets.token_urlsafe(48)` about 340. A key that repeats a shorter piece
    (abcabc...) counts as that piece alone.
    """
    unit = _repeating_unit(key)
    counts = Counter(unit)
    per_char = -sum(n / len(unit) * math.log2(n / len(unit)) for n in counts.values())
    return per_char * len(unit)


def _repeating_unit(text: str) -> str:
    """The shortest piece whose repetition makes `text` ("abab" -> "ab")."""
    period = (text + text).find(text, 1)
    return text[:period] if text and period < len(text) else text


def key_weakness(key: str) -> str | None:
    """Why `key` is too weak for production, or None when it passes the documented rule."""
    if len(key) < MIN_KEY_LENGTH or key.lower() in WEAK_KEYS:
        return f"use at least {MIN_KEY_LENGTH} random characters"
    if key_entropy_bits(key) < MIN_KEY_BITS:
        return (f"it is too predictable (repeated or few distinct characters, about "
                f"{key_entropy_bits(key):.0f} of the {MIN_KEY_BITS} bits needed)")
    return None


def _secret_key(app: Flask) -> str:
    key = app.config.get("SECRET_KEY")
    relaxed = app.debug or app.testing or app.config.get("DEVELOPMENT")
    if key:
        weakness = None if relaxed else key_weakness(key)
        if weakness:
            raise ConfigError(f"SECRET_KEY is too weak: {weakness}. Use a long random value, {KEY_ADVICE}")
        return key
    if not relaxed:
        raise ConfigError(
            "SECRET_KEY is not set. Set it to a long random value, or set EVENTKIT_ENV=development "
            "to have a development key generated under instance/ (as scripts/demo.sh does)."
        )
    return _development_key(Path(app.instance_path) / "dev-secret-key")


def _development_key(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
