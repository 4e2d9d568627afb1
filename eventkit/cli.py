"""The `flask eventkit ...` command group; each feature adds its commands in `commands.py`."""
from flask.cli import AppGroup

eventkit_cli = AppGroup("eventkit", help="eventkit maintenance and periodic commands.")
