"""E-mail addresses as stored and compared: one form for sign-ups, contacts, accounts and privacy requests."""
from __future__ import annotations


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased: `Jan@Example.NL ` and `jan@example.nl` are one person."""
    return email.strip().lower()
