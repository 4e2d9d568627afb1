"""Conditional JSON for the polled live endpoints: an ETag per version, 304 while the client has it."""
from __future__ import annotations

from flask import jsonify, make_response, request

from eventkit.security import SECRET_PAGE_HEADERS

#: how often the phones and the screen ask for changes (milliseconds; the JS reads it from the page)
POLL_MS = 2000


def matches(etag: str) -> bool:
    return etag in request.if_none_match


def not_modified(etag: str):
    response = make_response("", 304)
    response.set_etag(etag)
    response.headers.update(SECRET_PAGE_HEADERS)
    response.headers["Cache-Control"] = "no-cache"
    return response


def conditional_json(payload: dict, etag: str):
    """The payload as JSON with its ETag, or 304 when the client already has this version."""
    if matches(etag):
        return not_modified(etag)
    response = jsonify(payload)
    response.set_etag(etag)
    response.headers.update(SECRET_PAGE_HEADERS)
    response.headers["Cache-Control"] = "no-cache"
    return response
