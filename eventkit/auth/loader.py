"""Flask-Login's user loader: the session holds an organiser id."""
from eventkit.auth.models import Organiser
from eventkit.db import db
from eventkit.extensions import login_manager


@login_manager.user_loader
def load_organiser(organiser_id: str) -> Organiser | None:
    if not organiser_id.isdigit():
        return None
    return db.session.get(Organiser, int(organiser_id))
