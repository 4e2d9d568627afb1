"""Views of the checkin feature."""
from eventkit.checkin import bp  # noqa: F401
