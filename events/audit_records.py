"""How the audit log names and links events and registrations (registered in app.py)."""
from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask import url_for

from core.audit import Described
from events.models import Event, Registration
from extensions import db


def events(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(Event.id, Event.title).where(Event.id.in_(ids)))
    return {row.id: Described(row.title, url_for("events_admin.registrations", event_id=row.id)) for row in rows}


def registrations(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(Registration.id, Registration.name, Registration.event_id, Event.title)
                              .join(Event).where(Registration.id.in_(ids)))
    return {row.id: Described(f"{row.name} ({row.title})",
                              url_for("events_admin.registrations", event_id=row.event_id)) for row in rows}
