"""Views of the attendees feature."""
from eventkit.attendees import bp  # noqa: F401
