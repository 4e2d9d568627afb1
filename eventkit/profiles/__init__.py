"""The profiles feature."""
from flask import Blueprint

bp = Blueprint("profiles", __name__)

from eventkit.profiles import commands, organiser_views, views  # noqa: E402,F401
