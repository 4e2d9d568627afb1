"""The checkin feature's blueprint; its page modules add their routes to it."""
from flask import Blueprint

bp = Blueprint("checkin", __name__)
