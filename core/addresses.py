"""E-mail addresses as stored and compared: one form for sign-ups, contacts, accounts and privacy requests."""
from __future__ import annotations

from markupsafe import Markup, escape


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased: `Jan@Example.NL ` and `jan@example.nl` are one person."""
    return email.strip().lower()


def breakable_email(address: str | None) -> Markup:
    """`address` escaped for a page, with a line-break opportunity (`<wbr>`) after the @ and each dot,
    so a narrow column breaks it where a reader expects rather than mid-word."""
    escaped = str(escape(address or ""))
    return Markup(escaped.replace("@", "@<wbr>").replace(".", ".<wbr>"))
