"""A mail's HTML shown in the admin (mail catcher, campaign preview): only ever inside a sandboxed frame."""
from __future__ import annotations

from flask import Response

# A mail's HTML may hold anything: it runs in a sandbox without script, network or forms.
PREVIEW_CSP = (
    "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


def sandboxed_html(html: str, image_origin: str | None = None) -> Response:
    """The HTML as a response that only a frame of our own pages may show, under its own strict CSP;
    `image_origin` lets it load images from there too (the app's own uploads in a campaign preview)."""
    response = Response(html, mimetype="text/html")
    policy = PREVIEW_CSP.replace("img-src data: cid:", f"img-src data: cid: {image_origin}") if image_origin else PREVIEW_CSP
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
