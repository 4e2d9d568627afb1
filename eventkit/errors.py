"""Domain errors, the one place that commits, and error pages that never show a stack trace.

The commit rule: a request's writes are committed when it answers below 400 and rolled back
otherwise. A view that catches a refusal and redirects answers 302, so it must not keep what the
service wrote before refusing: it answers with `refuse()`, which rolls back first. The one refusal
whose writes must stand (a failed sign-in counts towards the throttle) says so with
`keep_refused_writes()`.
"""
from __future__ import annotations

import logging

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from eventkit.db import db, in_transaction
from eventkit.events.models import Event

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A refusal a user can understand: `message` is shown to them, `code` is machine-readable.

    Services raise it before writing anything (or inside `atomic()`); views map it to a flash
    message, a re-rendered form with a 4xx status, or a JSON error.
    """

    status = 400

    def __init__(self, message: str, code: str = "invalid", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        if status is not None:
            self.status = status


class NotFound(DomainError):
    status = 404


def refuse(error: DomainError, endpoint: str, *, _category: str = "error", _code: int = 302, **values):
    """Answer a refused action: undo its writes, flash the error's message, redirect to `endpoint`.

    `values` (and `_anchor`) go to `url_for`. A 404 refusal (the object is not there) is raised
    again, so it shows the not-found page like any other missing object.
    """
    if error.status == 404:
        raise error
    db.session.rollback()
    flash(error.message, _category)
    return redirect(url_for(endpoint, **values), _code)


def keep_refused_writes() -> None:
    """Commit this request's writes although it answers 4xx (only for writes that record the refusal)."""
    g.keep_refused_writes = True


def _should_commit(status: int) -> bool:
    keep = g.pop("keep_refused_writes", False)  # never outlives the request that set it
    return status < 400 or (keep and status < 500)


def wants_json() -> bool:
    return request.is_json or request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


#: each error status's page title and what it means, in words a guest or an organiser understands
ERROR_PAGES: dict[int, tuple[str, str]] = {
    400: ("This request could not be read", "Something in what was sent is not right. Go back, reload the page "
          "and try again."),
    403: ("You cannot open this page", "This page belongs to someone else, or it needs you to sign in first."),
    404: ("Page not found", "There is nothing at this address: the link may be mistyped, or what it pointed to "
          "was deleted."),
    405: ("Not possible this way", "This address does not answer that kind of request. Use the buttons on the "
          "page instead."),
    409: ("Not possible right now", "This cannot be done in the gathering's current state."),
    410: ("This link has ended", "This link no longer works."),
    411: ("This request could not be read", "The request did not say how long it is."),
    413: ("Too large", "What was sent is larger than eventkit accepts. Try a smaller file or fewer rows."),
    422: ("Not possible", "Something in what was sent is not right. Go back and check the form."),
    429: ("Too many tries", "Wait a few minutes, then try again."),
    500: ("Something went wrong", "The error was logged. Nothing was saved; please try again."),
}


def _page_text(status: int, message: str | None = None) -> tuple[str, str]:
    title, default = ERROR_PAGES.get(status, ERROR_PAGES[500 if status >= 500 else 400])
    return title, message or default


def _gathering_of_request() -> Event | None:
    """The gathering a guest page (`/e/<slug>/...`) is about, to show the guest's way back; None elsewhere."""
    slug = (request.view_args or {}).get("slug")
    if not slug and request.path.startswith("/e/"):  # an address under a gathering that matches no page
        slug = request.path.split("/")[2]
    if not slug:
        return None
    try:
        return db.session.scalars(select(Event).where(Event.slug == slug)).first()
    except SQLAlchemyError:  # the error page must render even when the database is the problem
        db.session.rollback()
        return None


def _organiser_signed_in() -> bool:
    try:
        return bool(current_user.is_authenticated)
    except SQLAlchemyError:
        db.session.rollback()
        return False


def _error_response(status: int, title: str, message: str):
    if wants_json():
        return jsonify(error=title, message=message), status
    event = _gathering_of_request() if status < 500 else None
    organiser = _organiser_signed_in() if status < 500 else False
    event_id = (request.view_args or {}).get("event_id") if organiser else None
    door = request.path.startswith("/door/")
    return render_template("errors.html", status=status, title=title, message=message, event=event,
                           organiser=organiser, event_id=event_id, door=door), status


def register(app: Flask) -> None:
    """Commit after each successful request (or a refusal told to keep its writes), roll back otherwise;
    install error pages."""

    @app.after_request
    def commit_or_rollback(response):
        commit = _should_commit(response.status_code)
        if not in_transaction():
            return response  # nothing begun (a door scan writes in its group commit's own transaction)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        return _error_response(
            400, "Form expired", "This form was open too long or sent from elsewhere. "
            "Go back, reload the page and try again."
        )

    @app.errorhandler(DomainError)
    def domain_error(error):
        db.session.rollback()
        return _error_response(error.status, *_page_text(error.status, error.message))

    @app.errorhandler(HTTPException)
    def http_error(error):
        db.session.rollback()
        if error.response is not None:  # a view's own page (abort(response)): keep it
            return error.response
        status = error.code or 500
        custom = error.description if error.description != type(error).description else None
        return _error_response(status, *_page_text(status, custom))

    @app.errorhandler(Exception)
    def unexpected_error(error):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_response(500, *_page_text(500))
