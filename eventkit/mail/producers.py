"""Attachments made when a message is sent, not when it is queued.

Some files are slow to make (a briefing PDF is a WeasyPrint render). A feature queues such an
attachment with a producer's name and plain JSON arguments instead of bytes
(`Attachment.made_when_sent(...)`) and registers the producer when its blueprint is registered
(`register_producer`). Just before delivering a claimed batch the sender calls `produce_missing`:
each producer is asked once for all of its attachments in the batch (so it can make them in one
go), the bytes are stored (a retry sends the same file without making it again), and a message
whose attachment cannot be made fails with the producer's reason while the others still go.

The mail feature never imports the features that make attachments.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from eventkit.db import db
from eventkit.mail.delivery import DeliveryError, PermanentFailure, TemporaryFailure
from eventkit.mail.models import OutboundAttachment, OutboundEmail

log = logging.getLogger(__name__)

EXTENSION_KEY = "eventkit.mail.producers"


class ProduceError(Exception):
    """One attachment could not be made; `reason` is what the organiser reads in the outbox.

    `temporary` errors are tried again later (like a 4xx reply); the others fail the message.
    """

    def __init__(self, reason: str, temporary: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


@dataclass(frozen=True)
class Producer:
    """Two steps, so a slow one never holds a database transaction (on SQLite: the write lock).

    `prepare(args_list)` reads what it needs and returns plain data; the sender then ends the
    transaction and calls `make(work, seconds)`, which returns one `bytes` or `ProduceError` per
    entry of `args_list`, in order, within about `seconds`, without touching the database.
    """

    prepare: Callable[[list[dict]], Any]
    make: Callable[[Any, float], list]


def register_producer(app: Flask, name: str, producer: Producer) -> None:
    """Let `app`'s sender make attachments queued with `producer=name`."""
    app.extensions.setdefault(EXTENSION_KEY, {})[name] = producer


def producer_for(name: str) -> Producer | None:
    return current_app.extensions.get(EXTENSION_KEY, {}).get(name)


def produce_missing(emails: list[OutboundEmail], deadline: float) -> dict[int, DeliveryError]:
    """Make the claimed messages' missing attachments and store them; the messages that cannot go, with why.

    Call it outside any transaction (it commits what it stores); `deadline` is a `time.monotonic()` value.
    """
    failures: dict[int, DeliveryError] = {}
    for name, pairs in _missing(emails).items():
        ids = [(email.id, item.id) for email, item in pairs]  # read now: the producer's rollback expires them
        results = _produce(name, [item for _, item in pairs], deadline)
        made = []
        for (email_id, item_id), (_, item), result in zip(ids, pairs, results):
            if isinstance(result, ProduceError):
                failures.setdefault(email_id, _delivery_error(result))
                continue
            set_committed_value(item, "content", result)  # the caller sees it; the flush does not write it again
            made.append({"attachment_id": item_id, "made": result})
        _store(made)
        db.session.commit()
    return failures


def _missing(emails: list[OutboundEmail]) -> dict[str, list[tuple[OutboundEmail, OutboundAttachment]]]:
    by_producer: dict[str, list] = defaultdict(list)
    for email in emails:
        for item in email.attachments:
            if item.content is None:
                by_producer[item.producer or ""].append((email, item))
    return by_producer


def _produce(name: str, items: list[OutboundAttachment], deadline: float) -> list[bytes | ProduceError]:
    """One producer call for all its attachments of the batch; never raises."""
    producer = producer_for(name)
    if producer is None:
        reason = (f"The attachment {items[0].filename} is made when the email is sent, but this installation "
                  f"has nothing that makes {name!r} attachments; it will be tried again.")
        return [ProduceError(reason, temporary=True)] * len(items)
    try:
        work = producer.prepare([dict(item.producer_args or {}) for item in items])
        db.session.rollback()  # nothing to save: end the read transaction before the slow part
        results = list(producer.make(work, max(deadline - time.monotonic(), 0.0)))
    except Exception as error:  # noqa: BLE001 - a producer's bug must not stop the send run
        db.session.rollback()
        log.exception("outbox: producer %r failed", name)
        return [ProduceError(f"The attachment {item.filename} could not be made ({type(error).__name__}).")
                for item in items]
    if len(results) != len(items) or not all(isinstance(r, (bytes, ProduceError)) for r in results):
        log.error("outbox: producer %r returned %d results for %d attachments", name, len(results), len(items))
        return [ProduceError(f"The attachment {item.filename} could not be made (the producer gave no file).")
                for item in items]
    return results


def _delivery_error(error: ProduceError) -> DeliveryError:
    return TemporaryFailure(error.reason) if error.temporary else PermanentFailure(error.reason)


#: keeps a made file unless another sender stored one first
_STORE = (update(OutboundAttachment.__table__)
          .where(OutboundAttachment.id == bindparam("attachment_id"), OutboundAttachment.content.is_(None))
          .values(content=bindparam("made")))


def _store(made: list[dict]) -> None:
    """Keep the made files in one executemany: the write transaction (on SQLite the write lock the
    door's scans also need) starts and ends around it, not around the producer's work."""
    if made:
        db.session.connection().execute(_STORE, made)
