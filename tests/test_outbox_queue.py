"""queue_email: rendered from templates, written once per dedupe key."""
from sqlalchemy import func, select

from eventkit.db import db
from eventkit.mail.models import OutboundAttachment, OutboundEmail
from eventkit.mail.services import Attachment, queue_email


def test_same_dedupe_key_is_queued_once_with_its_attachments(app):
    with app.app_context():
        kwargs = dict(to_email="ana@example.com", to_name="Ana", template="notice", purpose="test",
                      dedupe_key="notice:1", title="Hello", body="Body",
                      attachments=(Attachment("a.txt", "text/plain", b"x"),))
        first = queue_email(**kwargs)
        second = queue_email(**kwargs)
        db.session.commit()
        assert first is not None and second is None
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboundAttachment)) == 1


def test_subject_comes_from_the_template_on_one_line(app):
    with app.app_context():
        email = queue_email(to_email="ana@example.com", to_name="Ana\r\nBcc: x@evil.test", template="notice",
                            purpose="test", dedupe_key="notice:2", title="Hi\r\nBcc: x@evil.test", body="B")
        assert email.subject == "Hi Bcc: x@evil.test"
        assert "\n" not in email.to_name
        assert "Hello Ana" in email.body_text
