"""How the audit log names and links outbox messages (registered in app.py)."""
from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask import url_for

from core.audit import Described
from extensions import db
from mailing.models import OutgoingMessage


def messages(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(OutgoingMessage.id, OutgoingMessage.subject, OutgoingMessage.to_address)
                              .where(OutgoingMessage.id.in_(ids)))
    return {row.id: Described(f"{row.subject} → {row.to_address}", url_for("mailing.detail", message_id=row.id))
            for row in rows}
