"""Views of the followup feature."""
from eventkit.followup import bp  # noqa: F401
