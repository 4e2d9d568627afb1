"""The checkin feature."""
from flask import Blueprint

bp = Blueprint("checkin", __name__)

from eventkit.checkin import commands, views  # noqa: E402,F401
