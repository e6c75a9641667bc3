"""Links that grant something (set a password, accept an invitation, confirm a subscription).

Such a link is never stored. The outbox row keeps a placeholder in its bodies and, beside it, what
is needed to make the link (`OutgoingMessage.secret_link`: a purpose and its arguments, nothing
secret); the worker mints the link when the message leaves for the relay. So the mail catcher, the
outbox admin, a privacy export and a database dump show the mail without a working link: only its
recipient ever holds one (SECURITY.md, "Credential links").

Features register a minter per purpose; `mailing` knows no feature, only the purposes it was told.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.links import absolute_url
from mailing.personalise import RenderedMail

# What the stored bodies hold where the link will be: a public page (accounts) that explains it to
# anyone who follows it from a stored copy.
PLACEHOLDER_ENDPOINT = "accounts.hidden_link"

Minter = Callable[[dict[str, Any]], str]
_minters: dict[str, Minter] = {}


class LinkUnavailable(Exception):
    """The link can no longer be made (the account or contact is gone, or the purpose is unknown)."""


@dataclass(frozen=True)
class SecretLink:
    purpose: str
    args: dict[str, Any]

    def stored(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "args": self.args}


def placeholder() -> str:
    """The absolute address templates get as the link; replaced in the copy that is sent."""
    return absolute_url(PLACEHOLDER_ENDPOINT)


def minter(purpose: str) -> Callable[[Minter], Minter]:
    """Registers the function that makes the link for `purpose` from the stored arguments."""
    def register(function: Minter) -> Minter:
        _minters[purpose] = function
        return function
    return register


def mint(stored: dict[str, Any]) -> str:
    function = _minters.get(str(stored.get("purpose")))
    if function is None:
        raise LinkUnavailable(f"no link minter for {stored.get('purpose')!r}")
    return function(dict(stored.get("args") or {}))


def unsealed(bodies: RenderedMail, stored: dict[str, Any]) -> RenderedMail:
    """The bodies as the recipient gets them: the placeholder replaced by a freshly made link."""
    link, hidden = mint(stored), placeholder()
    html = bodies.html.replace(hidden, link) if bodies.html is not None else None
    return RenderedMail(html=html, text=bodies.text.replace(hidden, link))
