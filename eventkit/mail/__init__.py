"""The mail feature."""
from flask import Blueprint

bp = Blueprint("mail", __name__)

from eventkit.mail import commands, receivers, views  # noqa: E402,F401
