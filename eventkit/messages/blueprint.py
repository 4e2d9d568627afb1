"""The messages feature's blueprint; its page modules add their routes to it."""
from flask import Blueprint

bp = Blueprint("messages", __name__)
