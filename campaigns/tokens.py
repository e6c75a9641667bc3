"""Signed links in contact mails: one salt per purpose.

The confirmation link is one-time (it carries the contact's open nonce, cleared when used) and
expires; it also carries the choices made on the form, so nothing unconfirmed is stored as a
preference. Unsubscribe and preference links never expire: an old newsletter must still work.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_SALT = "contact-confirm"
UNSUBSCRIBE_SALT = "contact-unsubscribe"
PREFERENCES_SALT = "contact-preferences"


class TokenInvalid(Exception):
    """Tampered with, or pointing at nothing."""


class TokenExpired(Exception):
    pass


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(salt: str, payload: dict[str, Any]) -> str:
    return _serializer(salt).dumps(payload)


def read_token(salt: str, token: str, max_age_seconds: int | None = None) -> dict[str, Any]:
    """The payload of a genuine token; raises TokenInvalid or TokenExpired."""
    try:
        payload = _serializer(salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise TokenExpired from error
    except BadSignature as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), int):
        raise TokenInvalid
    return payload


def public_url(path: str) -> str:
    """Absolute link for mails (the worker and the launch have no request: BASE_URL, not url_for)."""
    return f"{current_app.config['BASE_URL']}{path}"


def unsubscribe_url(contact_id: int, campaign_id: int | None = None) -> str:
    payload = {"c": contact_id} if campaign_id is None else {"c": contact_id, "k": campaign_id}
    return public_url(f"/nieuwsbrief/afmelden/{make_token(UNSUBSCRIBE_SALT, payload)}")


def preferences_url(contact_id: int) -> str:
    return public_url(f"/nieuwsbrief/voorkeuren/{make_token(PREFERENCES_SALT, {'c': contact_id})}")
