"""Signed links in registration mails: one salt per purpose, revocable via the stored token."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from events.models import Registration
from extensions import db

MANAGE_SALT = "registration-manage"


class TokenInvalid(Exception):
    """Tampered with, or pointing at nothing."""


class TokenExpired(Exception):
    pass


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=MANAGE_SALT)


def manage_token(registration: Registration) -> str:
    return _serializer().dumps({"t": registration.manage_token})


def manage_url(registration: Registration) -> str:
    """Absolute link for mails (the worker has no request, so BASE_URL, not url_for)."""
    return f"{current_app.config['BASE_URL']}/aanmelding/{manage_token(registration)}"


def registration_from_token(token: str) -> Registration:
    max_age = timedelta(days=current_app.config["MANAGE_TOKEN_MAX_AGE_DAYS"])
    try:
        payload = _serializer().loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as error:
        raise TokenExpired from error
    except BadSignature as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict):
        raise TokenInvalid
    secret = payload.get("t")
    if not isinstance(secret, str):
        raise TokenInvalid
    registration = db.session.scalar(sa.select(Registration).where(Registration.manage_token == secret))
    if registration is None:
        raise TokenInvalid
    return registration
