"""Addresses as they travel: a domain with non-ASCII letters (IDN, `jan@müller.nl`) in its
ASCII form (`xn--mller-kva.nl`), which every relay and mailbox understands.

The conversion is IDNA 2008 with the UTS #46 mapping (the `idna` package, as email-validator uses
it), not Python's own `idna` codec (IDNA 2003), which maps `faß.de` to `fass.de` and a Greek final
sigma to a plain one: another domain, so the mail would go to someone else."""
from __future__ import annotations

import idna


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA form. A non-ASCII local part (`zoë@…`) would need the
    relay's SMTPUTF8 and stays as it is: the caller refuses it as not sendable. A domain that
    IDNA 2008 does not allow (`☃.example`) raises ValueError."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True, transitional=False).decode('ascii')}"
    except idna.IDNAError as error:
        raise ValueError(f"not a valid international domain (IDNA 2008): {domain!r}: {error}") from error
