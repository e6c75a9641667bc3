"""Slugs for readable URLs (events, self-help pages)."""
from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa


def slugify(text: str, fallback: str = "evenement", max_length: int = 200) -> str:
    """ASCII, lower case, words joined by hyphens: "Phishing-café Zeist" -> "phishing-cafe-zeist"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback


def same_or_numbered(column: sa.ColumnElement[str], base: str) -> sa.ColumnElement[bool]:
    """The slugs that could stand in the way of `base`: `base` itself and `base-…`."""
    return sa.or_(column == base, column.startswith(f"{base}-", autoescape=True))


def first_free(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`... the first that is not taken."""
    slug, suffix = base, 1
    while slug in taken:
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug
