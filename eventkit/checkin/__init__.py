"""The checkin feature: QR codes at the door, door links, the scanner page and its JSON API."""
from flask import Blueprint

bp = Blueprint("checkin", __name__)

from eventkit.checkin import api, commands, views  # noqa: E402,F401
