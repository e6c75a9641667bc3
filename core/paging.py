"""Lists shown a page at a time: one COUNT and one query for the page, however long the list."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from core.webutils import page_number
from extensions import db


def total_of(query: sa.Select[Any]) -> int:
    """How many rows `query` returns, counted in the database."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def capped_total_of(query: sa.Select[Any], cap: int) -> int:
    """How many rows `query` returns, counting no further than `cap` + 1: a result above `cap` means
    "more than `cap`". The database stops reading there, where an exact count reads every match."""
    limited = query.with_only_columns(sa.literal_column("1")).order_by(None).limit(cap + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited.subquery())) or 0


def page_of(query: sa.Select[Any], page: int, size: int) -> sa.Select[Any]:
    """`query` cut to its `page`-th page (1-based) of `size` rows; order it first."""
    return query.limit(size).offset((page - 1) * size)


def page_count(total: int, size: int) -> int:
    """Pages needed for `total` rows; one (empty) page for none."""
    return max((total + size - 1) // size, 1)


@dataclass(frozen=True)
class Paged:
    """One page of a list, with what the pagination macro needs."""

    rows: list[Any]
    total: int
    page: int
    pages: int

    def context(self, name: str) -> dict[str, Any]:
        """Template values: the rows under `name`, and total, page and pages."""
        return {name: self.rows, "total": self.total, "page": self.page, "pages": self.pages}


def requested_page(fetch: Callable[[int], tuple[list[Any], int]], size: int) -> Paged:
    """The page the query string asks for (`?pagina=`, a 404 beyond any real list), fetched."""
    page = page_number()
    rows, total = fetch(page)
    return Paged(list(rows), total, page, page_count(total, size))
