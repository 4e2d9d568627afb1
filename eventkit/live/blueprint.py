"""The live feature's blueprint; its page modules add their routes to it."""
from flask import Blueprint

bp = Blueprint("live", __name__)
