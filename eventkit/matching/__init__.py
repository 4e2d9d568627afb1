"""The matching feature."""
from flask import Blueprint

bp = Blueprint("matching", __name__)

from eventkit.matching import commands, views  # noqa: E402,F401
