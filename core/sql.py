"""Column and statement helpers shared by every package."""
from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db


def enum_type(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: stored as its value in a VARCHAR with a CHECK constraint."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def insert_ignoring_duplicates(table: sa.Table, *index_elements: str) -> sa.Insert:
    """`INSERT ... ON CONFLICT (index_elements) DO NOTHING`, on PostgreSQL and SQLite alike."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
