"""The AVG duties over every feature's personal data: retention purge, subject access export, erasure.

They run over what the features registered in `core.privacy`, per organisation and its retention period.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from accounts.models import Organisation
from core.addresses import normalise_email
from core.privacy import Scope, registered
from core.timeutils import utcnow
from extensions import db


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

