"""Flask-Login's user loader: the session holds "<organiser id>.<session version>"."""
import hmac

from eventkit.auth.models import Organiser
from eventkit.db import db
from eventkit.extensions import login_manager


@login_manager.user_loader
def load_organiser(session_id: str) -> Organiser | None:
    """The signed-in organiser, unless their password changed since this session began."""
    organiser_id, _, version = session_id.partition(".")
    if not organiser_id.isdigit() or not version:
        return None
    organiser = db.session.get(Organiser, int(organiser_id))
    if organiser is None or not hmac.compare_digest(organiser.session_version, version):
        return None
    return organiser
