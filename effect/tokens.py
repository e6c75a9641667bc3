"""The one-time links to the evaluation and the follow-up survey: credentials to a person's answers.

Never stored: the mail is queued with a `SecretLink` and the worker mints the link as it leaves
(`mailing.secret_links`). A link is one-time because the form it opens takes one answer: once the
response has its `evaluated_at` / `followed_up_at`, the link shows that and stores nothing.
"""
from __future__ import annotations

from typing import Any

from core.links import absolute_url
from core.tokens import TokenExpired as TokenExpired  # the errors of these links, for the views
from core.tokens import TokenInvalid as TokenInvalid
from core.tokens import read as read_token
from core.tokens import sign
from mailing.secret_links import LinkUnavailable, SecretLink, minter

EVALUATION_SALT = "effect-evaluation"
FOLLOWUP_SALT = "effect-followup"
MAX_AGE_SECONDS = 60 * 24 * 3600


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
    token = sign(EVALUATION_SALT, {"r": _id_arg(args, "registration")})
    return absolute_url("effect.evaluation", token=token)


@minter(FOLLOWUP_SALT)
def mint_followup(args: dict[str, Any]) -> str:
    token = sign(FOLLOWUP_SALT, {"e": _id_arg(args, "response")})
    return absolute_url("effect.followup", token=token)


def read(token: str, salt: str, key: str) -> int:
    """The id a genuine token carries; raises TokenInvalid or TokenExpired."""
    return read_token(salt, token, key=key, max_age_seconds=MAX_AGE_SECONDS)[key]
