"""eventkit: small gatherings that turn into real relationships."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from eventkit.config import configure
from eventkit.extensions import csrf, db, login_manager, migrate

TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates"
FEATURES = (
    "auth",
    "events",
    "attendees",
    "mail",
    "profiles",
    "checkin",
    "matching",
    "briefings",
    "followup",
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the eventkit application."""
    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATE_FOLDER))
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from eventkit import models  # noqa: F401  (the whole schema, for relationships and Alembic)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    from eventkit import main

    app.register_blueprint(main.bp)
    for feature in FEATURES:
        app.register_blueprint(import_module(f"eventkit.{feature}").bp)


def register_request_hooks(app: Flask) -> None:
    from eventkit import errors

    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    from eventkit import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    from eventkit.cli import eventkit_cli
    from eventkit.demo import commands  # noqa: F401

    app.cli.add_command(eventkit_cli)
