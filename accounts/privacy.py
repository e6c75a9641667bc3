"""The AVG duties over every feature's personal data: retention purge, subject access export, erasure.

`accounts` imports no feature package, so each feature registers what it stores about people:

    privacy.register(app, privacy.PersonalData("registrations", purge=..., export=..., erase=...))

(see `register_personal_data` in `app.py`). The functions take plain values, flush but never commit,
and only change rows that are not anonymised yet, so running them twice changes nothing the second time.
Anonymising keeps each row and its status and dates: counts on the results stay the same.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from accounts.models import Organisation
from accounts.services import normalise_email
from core.timeutils import utcnow
from extensions import db

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


def register(app: Flask, data: PersonalData) -> None:
    app.extensions.setdefault("personal_data", {})[data.name] = data


def registered() -> list[PersonalData]:
    return list(current_app.extensions.get("personal_data", {}).values())


def anonymous_email(row_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    """A per-row placeholder address (unique, so UNIQUE indexes on addresses hold) for bulk UPDATEs."""
    return sa.literal("anoniem-") + sa.cast(row_id, sa.String) + sa.literal(f"@{ANONYMOUS_DOMAIN}")


def is_anonymous(email: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    return email.like(f"%@{ANONYMOUS_DOMAIN}")


def purge(now: datetime | None = None) -> dict[str, int]:
    """Anonymises, in every organisation, what ended longer ago than its retention period; counts per feature."""
    now = now or utcnow()
    counts = {data.name: 0 for data in registered()}
    for organisation in db.session.scalars(sa.select(Organisation).order_by(Organisation.id)):
        cutoff = now - timedelta(days=organisation.retention_days)
        for data in registered():
            counts[data.name] += data.purge(organisation.id, cutoff)
    return counts


def export(email: str, scope: Scope) -> dict[str, list[dict[str, Any]]]:
    """Everything stored about `email` within `scope`, per feature (a subject access request)."""
    return {data.name: data.export(normalise_email(email), scope) for data in registered()}


def erase(email: str, scope: Scope) -> dict[str, int]:
    """Anonymises everything stored about `email` within `scope`; rows anonymised per feature."""
    return {data.name: data.erase(normalise_email(email), scope) for data in registered()}

