"""The confirmation link of a sign-up: made when its email is sent, stored hashed on the sign-up.

Once the address is confirmed, the same link is the new guest's personal link.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.db import db
from eventkit.mail.links import LinkRequest, register_link_maker
from eventkit.registration.blueprint import bp
from eventkit.registration.models import SignUp
from eventkit.registration.services import CONFIRM
from eventkit.security import hash_token, new_token
from eventkit.urls import external_url_for


def make_confirm_links(requests: list[LinkRequest], now: datetime) -> list[str | None]:
    """A fresh confirmation link per request, for an unconfirmed sign-up of that email's recipient (else None).

    A retried email gets a new link; the earlier one stops working.
    """
    ids = {request.attendee_id for request in requests}
    signups = {s.id: s for s in db.session.scalars(select(SignUp).where(SignUp.id.in_(ids))
                                                   .options(selectinload(SignUp.event)))}
    urls: list[str | None] = []
    for request in requests:
        signup = signups.get(request.attendee_id)
        if signup is None or signup.confirmed_at is not None or signup.email != request.to_email.lower():
            urls.append(None)
            continue
        token = new_token()
        signup.token_hash = hash_token(token)
        urls.append(external_url_for("registration.confirm", slug=signup.event.slug, token=token))
    db.session.flush()
    return urls


@bp.record_once
def _register(state) -> None:
    """The mail sender makes "signup" links with this maker."""
    register_link_maker(state.app, CONFIRM, make_confirm_links)
