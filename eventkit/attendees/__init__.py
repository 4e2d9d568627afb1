"""The attendees feature."""
from flask import Blueprint

bp = Blueprint("attendees", __name__)

from eventkit.attendees import commands, views  # noqa: E402,F401
