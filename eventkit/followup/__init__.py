"""The followup feature."""
from flask import Blueprint

bp = Blueprint("followup", __name__)

from eventkit.followup import commands, views  # noqa: E402,F401
