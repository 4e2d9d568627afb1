"""The registration feature's blueprint; its page modules add their routes to it."""
from flask import Blueprint

bp = Blueprint("registration", __name__)
