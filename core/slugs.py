"""Slugs for readable URLs (events, self-help pages)."""
from __future__ import annotations

import re
import unicodedata


def slugify(text: str, fallback: str = "evenement", max_length: int = 200) -> str:
    """ASCII, lower case, words joined by hyphens: "Phishing-café Zeist" -> "phishing-cafe-zeist"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or fallback
