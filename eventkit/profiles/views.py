"""Views of the profiles feature."""
from eventkit.profiles import bp  # noqa: F401
