"""Configuration from the environment, and the secret-key rules."""
import secrets

import pytest

from eventkit import create_app
from eventkit.config import normalise_database_url


def test_production_refuses_to_start_without_a_strong_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("EVENTKIT_ENV", raising=False)
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": db_url})
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(RuntimeError, match="too weak"):
        create_app({"SQLALCHEMY_DATABASE_URI": db_url})


def test_development_generates_and_keeps_a_key_under_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("EVENTKIT_ENV", "development")
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_limits_and_mail_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("BRIEFINGS_RENDER_TIMEOUT", "30.5")
    monkeypatch.setenv("GUEST_IMPORT_MAX_BYTES", "1000")
    monkeypatch.setenv("MAIL_USE_SSL", "1")
    monkeypatch.delenv("MAIL_PORT", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["BRIEFINGS_RENDER_TIMEOUT"] == 30.5
    assert app.config["GUEST_IMPORT_MAX_BYTES"] == 1000
    assert app.config["MAIL_PORT"] == 465


@pytest.mark.parametrize("given, expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_use_psycopg_3(given, expected):
    assert normalise_database_url(given) == expected
