"""How the audit log names users (registered in app.py)."""
from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from accounts.models import User
from core.audit import Described
from extensions import db


def users(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {row.id: Described(f"{row.name} <{row.email}>") for row in rows}
