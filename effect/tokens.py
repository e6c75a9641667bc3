"""The one-time links to the evaluation and the follow-up survey: credentials to a person's answers.

Never stored: the mail is queued with a `SecretLink` and the worker mints the link as it leaves
(`mailing.secret_links`). A link is one-time because the form it opens takes one answer: once the
response has its `evaluated_at` / `followed_up_at`, the link shows that and stores nothing.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.links import absolute_url
from mailing.secret_links import LinkUnavailable, SecretLink, minter

EVALUATION_SALT = "effect-evaluation"
FOLLOWUP_SALT = "effect-followup"
MAX_AGE_SECONDS = 60 * 24 * 3600


class TokenInvalid(Exception):
    """Tampered with, made for another purpose, or pointing at nothing."""


class TokenExpired(Exception):
    pass


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def evaluation_link(registration_id: int) -> SecretLink:
    return SecretLink(EVALUATION_SALT, {"registration": registration_id})


def followup_link(response_id: int) -> SecretLink:
    return SecretLink(FOLLOWUP_SALT, {"response": response_id})


def _id_arg(args: dict[str, Any], name: str) -> int:
    value = args.get(name)
    if not isinstance(value, int):
        raise LinkUnavailable(f"no {name} id in the stored link")
    return value


@minter(EVALUATION_SALT)
def mint_evaluation(args: dict[str, Any]) -> str:
    token = _serializer(EVALUATION_SALT).dumps({"r": _id_arg(args, "registration")})
    return absolute_url("effect.evaluation", token=token)


@minter(FOLLOWUP_SALT)
def mint_followup(args: dict[str, Any]) -> str:
    token = _serializer(FOLLOWUP_SALT).dumps({"e": _id_arg(args, "response")})
    return absolute_url("effect.followup", token=token)


def read(token: str, salt: str, key: str) -> int:
    """The id a genuine token carries; raises TokenInvalid or TokenExpired."""
    try:
        payload = _serializer(salt).loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as error:
        raise TokenExpired from error
    except BadSignature as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict) or not isinstance(payload.get(key), int):
        raise TokenInvalid
    return payload[key]
