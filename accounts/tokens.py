"""Signed links in account mails (password reset, invitation): one salt per purpose, one-time.

A token carries the user id, a fingerprint of the current password hash and the user's link
generation. Setting a password changes the hash, and asking for a new link (a reset, another
invitation) bumps the generation, so a used link, or any but the newest, no longer matches and is
refused.

The links are never stored: the mail is queued with `mailing.secret_links` and the worker mints
the link (`mint_password_reset`, `mint_invitation`) as the mail leaves. Nobody but the recipient
sees a working one, not an organisation's admin in its mail catcher (SECURITY.md).
"""
from __future__ import annotations

import hashlib
from typing import Any

from accounts.models import User
from core.links import absolute_url
from core.tokens import TokenExpired as TokenExpired  # the errors of these links, for the views
from core.tokens import TokenInvalid as TokenInvalid
from core.tokens import read, sign
from extensions import db
from mailing.secret_links import LinkUnavailable, SecretLink, minter

PASSWORD_RESET_SALT = "account-password-reset"
INVITATION_SALT = "account-invitation"


class TokenUsed(Exception):
    """Genuine, but used or superseded: the password changed, or a newer link was asked for."""


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def make_token(user: User, salt: str) -> str:
    return sign(salt, {"u": user.id, "p": _password_fingerprint(user), "g": user.link_generation})


def supersede_links(user: User) -> None:
    """Every link made for `user` before this stops working; call before queueing a new one."""
    user.link_generation = (user.link_generation or 0) + 1


def password_reset_link(user: User) -> SecretLink:
    return SecretLink(PASSWORD_RESET_SALT, {"user": user.id})


def invitation_link(user: User) -> SecretLink:
    return SecretLink(INVITATION_SALT, {"user": user.id})


def _user_of(args: dict[str, Any]) -> User:
    user_id = args.get("user")
    # populate_existing: a long-running worker must see the newest link generation, not a cached one.
    user = db.session.get(User, user_id, populate_existing=True) if isinstance(user_id, int) else None
    if user is None:
        raise LinkUnavailable("the account no longer exists")
    return user


@minter(PASSWORD_RESET_SALT)
def mint_password_reset(args: dict[str, Any]) -> str:
    return absolute_url("accounts.reset_password", token=make_token(_user_of(args), PASSWORD_RESET_SALT))


@minter(INVITATION_SALT)
def mint_invitation(args: dict[str, Any]) -> str:
    return absolute_url("accounts.accept_invitation", token=make_token(_user_of(args), INVITATION_SALT))


def user_from_token(token: str, salt: str, max_age_seconds: int) -> User:
    """The user a token was made for; raises TokenInvalid, TokenExpired or TokenUsed."""
    payload = read(salt, token, key="u", max_age_seconds=max_age_seconds)
    user = db.session.get(User, payload["u"])
    if user is None:
        raise TokenInvalid
    if payload.get("p") != _password_fingerprint(user) or payload.get("g") != user.link_generation:
        raise TokenUsed
    return user
