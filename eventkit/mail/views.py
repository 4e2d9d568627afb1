"""Views of the mail feature."""
from eventkit.mail import bp  # noqa: F401
