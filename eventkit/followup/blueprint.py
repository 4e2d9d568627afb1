"""The followup feature's blueprint; its page modules add their routes to it."""
from flask import Blueprint

bp = Blueprint("followup", __name__)
