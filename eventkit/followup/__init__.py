"""The followup feature: connections, follow-up tasks, reminders and the follow-up dashboard."""
from flask import Blueprint

bp = Blueprint("followup", __name__)

from eventkit.followup import commands, receivers, views, guest_views  # noqa: E402,F401
