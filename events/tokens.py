"""Signed links in registration mails: one salt per purpose, revocable via the stored token."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from core.links import absolute_url
from core.tokens import TokenExpired as TokenExpired  # the errors of these links, for the views
from core.tokens import TokenInvalid as TokenInvalid
from core.tokens import read, sign
from events.models import Registration
from extensions import db

MANAGE_SALT = "registration-manage"


def manage_token(registration: Registration) -> str:
    return sign(MANAGE_SALT, {"t": registration.manage_token})


def manage_url(registration: Registration) -> str:
    return absolute_url("events.manage", token=manage_token(registration))


def registration_from_token(token: str) -> Registration:
    max_age = timedelta(days=current_app.config["MANAGE_TOKEN_MAX_AGE_DAYS"])
    secret = read(MANAGE_SALT, token, key="t", key_type=str, max_age_seconds=int(max_age.total_seconds()))["t"]
    registration = db.session.scalar(sa.select(Registration).where(Registration.manage_token == secret))
    if registration is None:
        raise TokenInvalid
    return registration
