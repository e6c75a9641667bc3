"""Column helpers shared by every package's models."""
from __future__ import annotations

import enum

import sqlalchemy as sa


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
