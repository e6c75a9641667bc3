"""Signed links in account mails (password reset, invitation): one salt per purpose, one-time.

A token carries the user id and a fingerprint of the current password hash. Setting a
password changes the hash, so a used link, or one older than the last password change, no
longer matches and is refused.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from accounts.models import User
from extensions import db

PASSWORD_RESET_SALT = "account-password-reset"
INVITATION_SALT = "account-invitation"


class TokenInvalid(Exception):
    """Tampered with, or pointing at no user."""


class TokenExpired(Exception):
    pass


class TokenUsed(Exception):
    """Genuine, but the password changed since it was made (the link was used or superseded)."""


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def make_token(user: User, salt: str) -> str:
    return _serializer(salt).dumps({"u": user.id, "p": _password_fingerprint(user)})


def account_url(path: str, user: User, salt: str) -> str:
    """Absolute link for mails (the worker has no request, so BASE_URL, not url_for)."""
    return f"{current_app.config['BASE_URL']}{path}/{make_token(user, salt)}"


def password_reset_url(user: User) -> str:
    return account_url("/beheer/wachtwoord", user, PASSWORD_RESET_SALT)


def invitation_url(user: User) -> str:
    return account_url("/beheer/uitnodiging", user, INVITATION_SALT)


def user_from_token(token: str, salt: str, max_age_seconds: int) -> User:
    """The user a token was made for; raises TokenInvalid, TokenExpired or TokenUsed."""
    try:
        payload = _serializer(salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise TokenExpired from error
    except BadSignature as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise TokenInvalid
    user = db.session.get(User, payload["u"])
    if user is None:
        raise TokenInvalid
    if payload.get("p") != _password_fingerprint(user):
        raise TokenUsed
    return user
