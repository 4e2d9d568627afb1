"""The briefings feature."""
from flask import Blueprint

bp = Blueprint("briefings", __name__)

from eventkit.briefings import commands, producer, views  # noqa: E402,F401
