"""How the app meets the web: security headers (Flask-Talisman) and the trusted reverse proxies.

Every response carries a Content-Security-Policy that allows scripts and styles from this site's
own static files only (no inline `<script>`, `style=""` or `on...=` handlers: tests/test_csp.py
scans the templates), refuses framing, forbids MIME sniffing, sends the Referer to this site only
(so a secret in a page's address never reaches another site, and Flask-WTF's HTTPS Referer check
still sees our own pages) and denies the camera everywhere but the door page.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from eventkit.extensions import talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
#: the same-origin Referer keeps Flask-WTF's strict HTTPS check working and leaks no token
REFERRER_POLICY = "same-origin"
PERMISSIONS = {"camera": "()", "microphone": "()", "geolocation": "()", "payment": "()", "usb": "()",
               "browsing-topics": "()"}
#: the door page reads QR codes with the phone's camera
DOOR_PERMISSIONS = PERMISSIONS | {"camera": "(self)"}
#: an email's HTML shown in a sandboxed iframe (srcdoc inherits the page's policy) keeps its inline
#: styles; scripts stay forbidden, and the sandbox runs none anyway
EMAIL_PREVIEW_CSP = CSP | {"style-src": "'self' 'unsafe-inline'"}


def register(app: Flask) -> None:
    """Security headers on every response; ProxyFix for EVENTKIT_TRUSTED_PROXIES proxies."""
    https = app.config["BASE_URL"].startswith("https://")
    talisman.init_app(
        app,
        force_https=https and not (app.testing or app.debug or app.config["DEVELOPMENT"]),
        frame_options="DENY",
        content_security_policy=CSP,
        referrer_policy=REFERRER_POLICY,
        permissions_policy=PERMISSIONS,
        strict_transport_security=https,
        strict_transport_security_include_subdomains=False,  # other hosts of the domain are not ours
        # config.py sets the cookie flags from EVENTKIT_BASE_URL; Talisman would force Secure always
        session_cookie_secure=False,
    )
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)


def door_permissions(view):
    """Decorator: the view's page may use the camera (the door scanner)."""
    return talisman(permissions_policy=DOOR_PERMISSIONS)(view)


def email_preview_policy(view):
    """Decorator: the view's page shows an email's HTML (inline styles) in a sandboxed iframe."""
    return talisman(content_security_policy=EMAIL_PREVIEW_CSP)(view)


def plain_http_allowed(view):
    """Decorator: no redirect to https (a load balancer's health check talks plain http)."""
    return talisman(force_https=False)(view)
