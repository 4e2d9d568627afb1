"""The briefings feature's blueprint; its page modules add their routes to it."""
from flask import Blueprint

bp = Blueprint("briefings", __name__)
