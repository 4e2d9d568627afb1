"""The one entry into the outbox: `queue_email`."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from eventkit.db import db, insert_ignore
from eventkit.mail.models import OutboundAttachment, OutboundEmail


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str
    content: bytes


def one_line(value: str) -> str:
    """Collapse all whitespace (CR/LF included) so a value can never inject a mail header."""
    return " ".join(str(value).split())


def render_message(template: str, **context) -> tuple[str, str, str]:
    """Render `mail/<template>.txt` and `.html`; the subject is `{% set subject = ... %}` in the .txt."""
    text_template = current_app.jinja_env.get_template(f"mail/{template}.txt")
    module = text_template.make_module(context)
    subject = one_line(getattr(module, "subject", "")) or "A message from eventkit"
    html = render_template(f"mail/{template}.html", subject=subject, **context)
    return subject, str(module).strip() + "\n", html


def queue_email(
    *,
    to_email: str,
    to_name: str = "",
    template: str,
    purpose: str,
    dedupe_key: str,
    event_id: int | None = None,
    attachments: tuple[Attachment, ...] = (),
    **context,
) -> OutboundEmail | None:
    """Queue one email in the current transaction; None if `dedupe_key` was queued before."""
    subject, text, html = render_message(template, to_name=to_name, **context)
    email_id = insert_ignore(
        OutboundEmail,
        {
            "to_email": one_line(to_email),
            "to_name": one_line(to_name),
            "subject": subject[:250],
            "body_text": text,
            "body_html": html,
            "purpose": purpose,
            "dedupe_key": dedupe_key,
            "event_id": event_id,
        },
        ["dedupe_key"],
    )
    if email_id is None:
        return None
    email = db.session.get(OutboundEmail, email_id)
    for item in attachments:
        db.session.add(
            OutboundAttachment(email=email, filename=item.filename, mimetype=item.mimetype, content=item.content)
        )
    db.session.flush()
    return email
