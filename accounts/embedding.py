"""Where an organisation's agenda and subscribe form may be embedded: its own https origins.

The embed pages send these as their CSP `frame-ancestors` (and nothing else does: every other page
keeps `frame-ancestors 'none'`), so a site the organisation did not list cannot frame them.
"""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, render_template, request
from werkzeug.wrappers import Response

from accounts.models import Organisation
from extensions import db

MAX_ORIGINS = 20
HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


class NotAnOrigin(ValueError):
    pass


def embedding_origin(text: str) -> str:
    """`https://host[:port]` in its normal form (lower case, no default port, no path); raises NotAnOrigin."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as error:
        raise NotAnOrigin(text) from error
    host = (parts.hostname or "").rstrip(".")
    if (parts.scheme.lower() != "https" or parts.username or parts.password or parts.path not in ("", "/")
            or parts.query or parts.fragment or not HOST.fullmatch(host)):
        raise NotAnOrigin(text)
    return f"https://{host}" + (f":{port}" if port and port != 443 else "")


def frame_ancestors(origins: list[str]) -> str:
    """The CSP directive for an organisation's embed pages; 'none' while it lists no origin."""
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")


def embed_policy(origins: list[str], style_nonce: str) -> str:
    """The whole CSP of an embed page: the site's own policy, one nonced <style> (the organisation's
    colour) and the organisation's frame-ancestors."""
    return ("default-src 'self'; img-src 'self' data:; "
            f"style-src 'self' 'nonce-{style_nonce}'; script-src 'self'; object-src 'none'; base-uri 'self'; "
            f"form-action 'self'; {frame_ancestors(origins)}")


def readable_colour(colour: str) -> str:
    """The brand colour, darkened until white text on it (and it on white) reaches WCAG AA's 4.5:1."""
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    while _contrast_with_white(red, green, blue) < 4.5:
        red, green, blue = (int(part * 0.9) for part in (red, green, blue))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _contrast_with_white(red: int, green: int, blue: int) -> float:
    def linear(part: int) -> float:
        value = part / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return 1.05 / (luminance + 0.05)


def organisation_or_404(slug: str) -> Organisation:
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        abort(404)
    return organisation


def render_embedded(organisation: Organisation, template: str, status: int = 200, **context: object) -> Response:
    """An embed page: framable by the organisation's own sites only, in its colour, with no cookie."""
    nonce = secrets.token_urlsafe(16)
    body = render_template(template, organisation=organisation, style_nonce=nonce,
                           colour=readable_colour(organisation.brand_colour), **context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = embed_policy(organisation.embed_origins, nonce)
    cacheable = status < 400 and request.method == "GET"
    response.headers["Cache-Control"] = "public, max-age=60" if cacheable else "no-store"
    return response
