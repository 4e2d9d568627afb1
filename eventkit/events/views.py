"""Views of the events feature (placeholders until the events work lands)."""
from flask_login import login_required

from eventkit.events import bp


@bp.get("/events/")
@login_required
def index():
    """The organiser's gatherings."""
    return "todo"
