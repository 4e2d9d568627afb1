"""Views of the briefings feature."""
from eventkit.briefings import bp  # noqa: F401
