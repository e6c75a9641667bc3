"""Addresses as they travel: a domain with non-ASCII letters (IDN, `jan@müller.nl`) in its
ASCII form (`xn--mller-kva.nl`), which every relay and mailbox understands."""
from __future__ import annotations


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA form. A non-ASCII local part (`zoë@…`) would need the
    relay's SMTPUTF8 and stays as it is: the caller refuses it as not sendable."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as error:
        raise ValueError(f"not a valid domain: {domain!r}") from error
