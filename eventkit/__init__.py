"""eventkit: small gatherings that turn into real relationships."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

from flask import Flask

from eventkit.config import configure
from eventkit.extensions import csrf, db, login_manager, migrate

TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates"
#: The features in domain order, each with the modules that hook it into the app when imported:
#: pages (on the feature's `bp`), signal receivers, attachment producers, link makers and `flask eventkit` commands.
FEATURES: dict[str, tuple[str, ...]] = {
    "auth": ("views", "loader", "commands"),
    "events": ("views",),
    "attendees": ("views", "import_views", "guest_views", "links", "receivers", "producer", "commands"),
    "jobs": ("views", "tasks", "commands"),
    "mail": ("views", "guest_views", "links", "receivers", "commands", "tasks"),
    "profiles": ("views", "guest_views", "commands"),
    "checkin": ("views", "api", "offline", "commands"),
    "matching": ("views", "commands"),
    "briefings": ("views", "producer", "jobs", "receivers", "commands"),
    "followup": ("views", "guest_views", "links", "receivers", "commands", "tasks"),
    "messages": ("views", "commands", "tasks"),
    "live": ("views", "guest_views"),
    "registration": ("views", "public_views", "links", "receivers"),
}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the eventkit application.

    The `register_*` steps import the app's modules by name, so that importing one model or
    service (a script, a migration, a test) does not load every page and command.
    """
    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATE_FOLDER))
    configure(app, test_config)
    register_logging(app)
    register_extensions(app)
    register_web_hardening(app)
    register_queue(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_logging(_app: Flask) -> None:
    import_module("eventkit.logmask").install()


def register_extensions(app: Flask) -> None:
    import_module("eventkit.models")  # the whole schema, for relationships and Alembic
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)


def register_web_hardening(app: Flask) -> None:
    import_module("eventkit.web").register(app)


def register_queue(app: Flask) -> None:
    import_module("eventkit.jobs.queue").init_app(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(import_module("eventkit.main").bp)
    for feature, modules in FEATURES.items():
        for module in modules:
            import_module(f"eventkit.{feature}.{module}")
        app.register_blueprint(import_module(f"eventkit.{feature}.blueprint").bp)


def register_request_hooks(app: Flask) -> None:
    import_module("eventkit.errors").register(app)
    app.teardown_request(import_module("eventkit.write_gate").release)


def register_template_helpers(app: Flask) -> None:
    import_module("eventkit.templating").register(app)


def register_commands(app: Flask) -> None:
    import_module("eventkit.demo.commands")
    import_module("eventkit.backup")
    app.cli.add_command(import_module("eventkit.cli").eventkit_cli)
