"""The VERP return path: `bounces+<row id>-<signature>@MAIL_BOUNCE_DOMAIN`.

A bounce goes to the envelope sender, so the address it comes back to names the outbox row. The
signature (HMAC of the row id under SECRET_KEY) is lower-case hex: relays that fold the case of a
local part keep it valid, and nobody can make a bounce count for a row they picked.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app

LOCAL_PREFIX = "bounces"
_SIGNATURE_LENGTH = 20
# Finds candidate return paths in a bounce's headers or body; the signature decides.
_ADDRESS = re.compile(rf"{LOCAL_PREFIX}\+(\d{{1,18}})-([0-9a-f]{{{_SIGNATURE_LENGTH}}})@([a-z0-9.-]+)", re.IGNORECASE)


def _signature(row_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"verp:{row_id}".encode(), hashlib.sha256).hexdigest()[:_SIGNATURE_LENGTH]


def bounce_domain() -> str:
    return current_app.config.get("MAIL_BOUNCE_DOMAIN", "").strip().lower()


def return_path(row_id: int, from_address: str) -> str:
    """The envelope sender for a message: VERP when a bounce domain is configured."""
    domain = bounce_domain()
    if not domain:
        return from_address
    return f"{LOCAL_PREFIX}+{row_id}-{_signature(row_id)}@{domain}"


def token_for(row_id: int) -> str:
    return f"{row_id}-{_signature(row_id)}"


def row_ids_in(text: str) -> list[int]:
    """Outbox row ids named by a correctly signed return path on our bounce domain in `text`,
    first mention first; forged or foreign ones are left out."""
    domain = bounce_domain()
    found: list[int] = []
    for row, signature, at in _ADDRESS.findall(text):
        row_id = int(row)
        if (at.lower() == domain and hmac.compare_digest(signature.lower(), _signature(row_id))
                and row_id not in found):
            found.append(row_id)
    return found


def row_id_from_token(token: str) -> int | None:
    row, _, signature = token.strip().lower().partition("-")
    if not row.isdigit() or len(row) > 18 or not hmac.compare_digest(signature, _signature(int(row))):
        return None
    return int(row)
