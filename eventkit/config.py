"""Configuration from environment variables (each one is documented in the README)."""
from __future__ import annotations

import os
import secrets
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
WEAK_KEYS = {"dev", "secret", "changeme", "change-me", "development"}
MIN_KEY_LENGTH = 32


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
    for name in NUMERIC_SETTINGS:
        raw = os.environ.get(name, "").strip()
        if raw:
            values[name] = float(raw) if "." in raw else int(raw)
    return values


def from_environment(instance_path: str) -> dict:
    """Settings read from the environment."""
    return _numbers() | {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "BASE_URL": os.environ.get("EVENTKIT_BASE_URL", "http://localhost:5000").rstrip("/"),
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
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "20")),
        "OUTBOX_DIR": os.environ.get("EVENTKIT_OUTBOX_DIR", str(Path(instance_path) / "outbox")),
    }


def configure(app: Flask, test_config: dict | None) -> None:
    """Load defaults, then the environment, then `test_config`; make sure a secret key exists."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        PASSWORD_HASH_METHOD="scrypt",
    )
    app.config.from_mapping(from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SECRET_KEY"] = _secret_key(app)


def _secret_key(app: Flask) -> str:
    key = app.config.get("SECRET_KEY")
    relaxed = app.debug or app.testing or app.config.get("DEVELOPMENT")
    if key:
        if not relaxed and (len(key) < MIN_KEY_LENGTH or key.lower() in WEAK_KEYS):
            raise ConfigError(
                f"SECRET_KEY is too weak: use at least {MIN_KEY_LENGTH} random characters, "
                'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
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
