"""The matching feature's blueprint; its page modules add their routes to it."""
from flask import Blueprint

bp = Blueprint("matching", __name__)
