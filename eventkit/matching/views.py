"""Views of the matching feature."""
from eventkit.matching import bp  # noqa: F401
