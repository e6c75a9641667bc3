"""A mail's HTML shown in the admin (mail catcher, campaign preview): only ever inside a sandboxed frame."""
from __future__ import annotations

from flask import Response

# A mail's HTML may hold anything: it runs in a sandbox without script, network or forms.
PREVIEW_CSP = (
    "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


def sandboxed_html(html: str) -> Response:
    """The HTML as a response that only a frame of our own pages may show, under its own strict CSP."""
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
