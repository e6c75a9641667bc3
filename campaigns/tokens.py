"""Signed links in contact mails: one salt per purpose.

Unsubscribe and preference links in campaign mail carry the contact's stored random `link_token`
instead (`/afmelden/<link_token>.<campaign id>`): a launch builds them in SQL. The signed ones stay
valid for the mail sent before, and for the pages that still make them.

The confirmation link is one-time (it carries the contact's open nonce, cleared when used) and
expires; it is never stored (the worker signs it as the mail leaves, `mailing.secret_links`). It
also carries the choices made on the form, so nothing unconfirmed is stored as a preference.
Unsubscribe and preference links never expire: an old newsletter must still work.
"""
from __future__ import annotations

import re
from typing import Any

from flask import current_app

from core.links import absolute_url
from core.tokens import TokenExpired as TokenExpired  # the errors of these links, for the views
from core.tokens import TokenInvalid as TokenInvalid
from core.tokens import read, sign
from mailing.secret_links import minter

CONFIRM_SALT = "contact-confirm"
UNSUBSCRIBE_SALT = "contact-unsubscribe"
PREFERENCES_SALT = "contact-preferences"
UNSUBSCRIBE_PATH = "/nieuwsbrief/afmelden/"
PREFERENCES_PATH = "/nieuwsbrief/voorkeuren/"
# A stored link token, optionally with the campaign it came in; a signed token always has two dots.
_STORED_LINK = re.compile(r"(?P<token>[A-Za-z0-9_-]{32})(?:\.(?P<campaign>[0-9]{1,18}))?")


def make_token(salt: str, payload: dict[str, Any]) -> str:
    return sign(salt, payload)


@minter(CONFIRM_SALT)
def mint_confirmation(payload: dict[str, Any]) -> str:
    """The confirmation link, signed as the mail leaves: the outbox row holds only the payload."""
    return absolute_url("newsletter.confirm", token=make_token(CONFIRM_SALT, payload))


def read_token(salt: str, token: str, max_age_seconds: int | None = None) -> dict[str, Any]:
    """The payload of a genuine token (it names a contact); raises TokenInvalid or TokenExpired."""
    return read(salt, token, key="c", max_age_seconds=max_age_seconds)


def stored_link(token: str) -> tuple[str, int | None] | None:
    """(link token, campaign id) of a stored-token link; None for anything else."""
    match = _STORED_LINK.fullmatch(token)
    if match is None:
        return None
    return match["token"], int(match["campaign"]) if match["campaign"] else None


def public_url(path: str) -> str:
    """Absolute link for mails (the worker and the launch have no request: BASE_URL, not url_for)."""
    return f"{current_app.config['BASE_URL']}{path}"


def unsubscribe_url(contact_id: int, campaign_id: int | None = None) -> str:
    payload = {"c": contact_id} if campaign_id is None else {"c": contact_id, "k": campaign_id}
    return public_url(f"{UNSUBSCRIBE_PATH}{make_token(UNSUBSCRIBE_SALT, payload)}")


def preferences_url(contact_id: int) -> str:
    return public_url(f"{PREFERENCES_PATH}{make_token(PREFERENCES_SALT, {'c': contact_id})}")
