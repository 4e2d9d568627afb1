"""Views of the auth feature: organiser sign-up, sign-in, sign-out and the account page."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from eventkit.auth import services
from eventkit.auth.blueprint import bp
from eventkit.auth.forms import ChangePasswordForm, LoginForm, SignupForm
from eventkit.db import utcnow
from eventkit.errors import DomainError, keep_refused_writes

SIGNUP_CLOSED = (
    "New organiser accounts cannot be created here. Ask the person who runs this server to create "
    "one for you (flask eventkit create-organiser), then sign in."
)


def _after_login_url() -> str:
    return services.safe_next(request.values.get("next"), url_for("events.index"))


@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    """Organiser sign-in, throttled per email."""
    if current_user.is_authenticated:
        return redirect(_after_login_url())
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.is_submitted() else 200
    try:
        organiser = services.authenticate(form.email.data, form.password.data, now=utcnow())
    except DomainError as error:
        form.password.errors = [error.message]
        _count_failed_sign_in(error)
        return render_template("auth/login.html", form=form), error.status
    login_user(organiser, remember=form.remember.data)
    flash(f"Welcome back, {organiser.name}.", "info")
    return redirect(_after_login_url())


@bp.route("/auth/signup", methods=["GET", "POST"])
def signup():
    """Organiser sign-up (only when ALLOW_SIGNUP is on)."""
    if not current_app.config.get("ALLOW_SIGNUP"):
        abort(404, SIGNUP_CLOSED)
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = SignupForm()
    if not form.validate_on_submit():
        return render_template("auth/signup.html", form=form), 422 if form.is_submitted() else 200
    try:
        organiser = services.register_organiser(form.email.data, form.name.data, form.password.data)
    except DomainError as error:
        form.email.errors = [error.message]
        return render_template("auth/signup.html", form=form), 422
    login_user(organiser)
    flash("Your organiser account is ready. Create your first gathering.", "info")
    return redirect(url_for("events.index"))


@bp.post("/auth/logout")
def logout():
    """Sign out."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/auth/account", methods=["GET", "POST"])
@login_required
def account():
    """The organiser's account: who they are signed in as, and a password change."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/account.html", form=form), 422 if form.is_submitted() else 200
    try:
        services.change_password(current_user, form.current.data, form.password.data, now=utcnow())
    except DomainError as error:
        if error.code == "bad_credentials":
            form.current.errors = ["That is not your current password."]
            _count_failed_sign_in(error)
            return render_template("auth/account.html", form=form), error.status
        (form.current if error.code == "throttled" else form.password).errors = [error.message]
        return render_template("auth/account.html", form=form), 429 if error.code == "throttled" else 422
    login_user(current_user._get_current_object(), remember=_had_remember_cookie())
    flash("Password changed. Other browsers signed in to your account are now signed out.", "info")
    return redirect(url_for("auth.account"))


def _count_failed_sign_in(error: DomainError) -> None:
    """A wrong password is refused (401) and still counts: its LoginFailure row must be committed.

    The row is written in the request's own transaction, which holds nothing else at that point;
    a separate connection could not commit it on SQLite while this request holds the write lock.
    A throttled attempt (429) writes nothing.
    """
    if error.code == "bad_credentials":
        keep_refused_writes()


def _had_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
