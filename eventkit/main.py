"""The landing page and the health check."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from eventkit.db import db
from eventkit.web import plain_http_allowed

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Landing page; organisers go straight to their gatherings."""
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    return render_template("main/index.html")


@bp.get("/healthz")
@plain_http_allowed
def healthz():
    """Liveness and database check for load balancers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
