"""The attendees feature: the guest list, magic links, invitations and the guest's page."""
from flask import Blueprint

bp = Blueprint("attendees", __name__)

from eventkit.attendees import commands, guest_views, import_views, receivers, views  # noqa: E402,F401
