"""The auth feature."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from eventkit.auth import commands, loader, views  # noqa: E402,F401
