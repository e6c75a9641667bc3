"""Lists shown a page at a time: one COUNT and one query for the page, however long the list."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from extensions import db


def total_of(query: sa.Select[Any]) -> int:
    """How many rows `query` returns, counted in the database."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def page_of(query: sa.Select[Any], page: int, size: int) -> sa.Select[Any]:
    """`query` cut to its `page`-th page (1-based) of `size` rows; order it first."""
    return query.limit(size).offset((page - 1) * size)


def page_count(total: int, size: int) -> int:
    """Pages needed for `total` rows; one (empty) page for none."""
    return max((total + size - 1) // size, 1)
