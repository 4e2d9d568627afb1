"""Secrets: random tokens, their stored hashes, and values derived with the app's key."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

TOKEN_BYTES = 24  # 192 bits
#: for pages whose address holds a secret (personal link, door link, check-in code): never cached,
#: and the address is never sent on to another site as a Referer. `same-origin` rather than
#: `no-referrer`: the page's own forms must send their Referer, or Flask-WTF refuses them over HTTPS
SECRET_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def new_token() -> str:
    """A fresh URL-safe random token (192 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derive(purpose: str, seed: str) -> str:
    """A token derived from a stored random seed with the app's secret key (HMAC-SHA256).

    The database alone does not reveal it; rotating the seed replaces it.
    """
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    mac = hmac.new(key, f"{purpose}:{seed}".encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode("ascii").rstrip("=")


def secret_page(response):
    """`response` with SECRET_PAGE_HEADERS set (for views whose URL holds a secret)."""
    response.headers.update(SECRET_PAGE_HEADERS)
    return response
