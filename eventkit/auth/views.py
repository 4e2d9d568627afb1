"""Views of the auth feature (placeholders until the auth work lands)."""
from eventkit.auth import bp


@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    """Organiser sign-in."""
    return "todo"


@bp.route("/auth/signup", methods=["GET", "POST"])
def signup():
    """Organiser sign-up."""
    return "todo"


@bp.post("/auth/logout")
def logout():
    """Sign out."""
    return "todo"
