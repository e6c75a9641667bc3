"""Slowing password guessing per account, without letting a stranger lock the owner out.

Failed logins for one account are limited (`LOGIN_ACCOUNT_RATE_LIMIT`), whatever address they come
from: sixty addresses gain an attacker nothing over one. A browser that logged in to the account
before carries a signed device cookie (OWASP's "device cookies"); its failures count in a bucket of
its own, so a stranger who used up the account's bucket never locks out the owner's own browser.
An owner on a new device can still reset the password by mail, which logs them in.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from accounts.models import User
from core.addresses import normalise_email

DEVICE_COOKIE = "weerbaar_apparaat"
DEVICE_SALT = "account-login-device"
DEVICE_MAX_AGE_SECONDS = 180 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _account_digest(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]


def _device_of(email: str) -> str | None:
    """The device id of this browser when it logged in to `email` before; None otherwise."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    try:
        payload = _serializer().loads(cookie, max_age=DEVICE_MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("a") != _account_digest(email):
        return None
    return str(payload.get("d"))


def failed_login_key() -> str:
    """The bucket a failed login counts in: this known device's own, or the account's."""
    email = request.form.get("email", "")
    device = _device_of(email)
    return f"login-device:{device}" if device else f"login-account:{_account_digest(email)}"


def login_failed(response: Response) -> bool:
    return response.status_code == 400


def remember_device(user: User) -> None:
    """After a successful login: this browser counts as the owner's from now on."""
    value = _serializer().dumps({"a": _account_digest(user.email), "d": secrets.token_urlsafe(12)})

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE_SECONDS, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], path="/beheer/")
        return response
