"""The registry of personal data: what each feature stores about people, for the AVG duties.

No layer imports the ones above it, so each feature registers what it stores about people:

    privacy.register(app, privacy.PersonalData("registrations", purge=..., export=..., erase=...))

(see `register_personal_data` in `app.py`); `accounts.privacy` runs the duties over every registered
feature. The functions take plain values, flush but never commit, and only change rows that are not
anonymised yet, so running them twice changes nothing the second time. Anonymising keeps each row and
its status and dates: counts on the results stay the same.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

# organisation ids in scope; None: every organisation and the platform's own data (regional admin)
Scope = Sequence[int] | None
ANONYMOUS_NAME = "Geanonimiseerd"
ANONYMOUS_DOMAIN = "anoniem.invalid"  # .invalid never resolves (RFC 2606): no mail can reach it


@dataclass(frozen=True)
class PersonalData:
    """One feature's personal data and how the three duties apply to it."""

    name: str
    # (organisation id, cutoff) -> rows anonymised: data of what ended before the cutoff
    purge: Callable[[int, datetime], int]
    # (normalised email, scope) -> JSON-ready records about that address
    export: Callable[[str, Scope], list[dict[str, Any]]]
    # (normalised email, scope) -> rows anonymised
    erase: Callable[[str, Scope], int]
    # organisation id -> paragraphs the organisation's privacy statement adds for this feature
    statement: Callable[[int], list[str]] | None = None


def register(app: Flask, data: PersonalData) -> None:
    app.extensions.setdefault("personal_data", {})[data.name] = data


def registered() -> list[PersonalData]:
    return list(current_app.extensions.get("personal_data", {}).values())


def anonymous_email(row_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    """A per-row placeholder address (unique, so UNIQUE indexes on addresses hold) for bulk UPDATEs."""
    return sa.literal("anoniem-") + sa.cast(row_id, sa.String) + sa.literal(f"@{ANONYMOUS_DOMAIN}")


def is_anonymous(email: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return email.like(f"%@{ANONYMOUS_DOMAIN}")


def statement_paragraphs(app: Flask, organisation_id: int) -> list[str]:
    """What the registered features add to an organisation's privacy statement."""
    registered = app.extensions.get("personal_data", {}).values()
    return [paragraph for data in registered if data.statement for paragraph in data.statement(organisation_id)]
