"""Signed tokens for the links in mail: one salt per purpose, the same rules for every feature.

A feature's own `tokens.py` names its purposes (salts), what its payload carries and what the token
leads to; signing, reading, expiry and the errors live here once.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenInvalid(Exception):
    """Tampered with, made for another purpose, or pointing at nothing."""


class TokenExpired(Exception):
    """Genuine, but older than a link of its purpose may be."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign(salt: str, payload: dict[str, Any]) -> str:
    return _serializer(salt).dumps(payload)


def read(salt: str, token: str, *, key: str, key_type: type = int, max_age_seconds: int | None = None) -> dict[str, Any]:
    """The payload of a genuine token of this purpose whose `key` holds a `key_type`; raises
    TokenInvalid or TokenExpired."""
    try:
        payload = _serializer(salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise TokenExpired from error
    except BadSignature as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict) or not isinstance(payload.get(key), key_type) or isinstance(payload.get(key), bool):
        raise TokenInvalid
    return payload
