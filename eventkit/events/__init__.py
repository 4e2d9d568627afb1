"""The events feature."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from eventkit.events import commands, views  # noqa: E402,F401
