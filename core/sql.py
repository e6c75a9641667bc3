"""Column and statement helpers shared by every package."""
from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.interfaces import ORMOption

from extensions import db

Locked = TypeVar("Locked")


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


def insert_rows(table: sa.Table, rows: list[dict[str, Any]], *index_elements: str,
                returning: tuple[sa.ColumnElement[Any], ...] = ()) -> sa.Result[Any]:
    """Inserts `rows` (at least one; dicts with the same keys), skipping those that conflict on `index_elements` if
    given; the `returning` columns of the rows inserted.

    On PostgreSQL one `INSERT ... SELECT FROM unnest(array per column)` with a parameter per column:
    a multi-row VALUES (SQLAlchemy's insertmanyvalues) costs psycopg a parse of a statement with a
    parameter per value, and executemany a round trip per row."""
    if db.engine.dialect.name == "postgresql":
        rows = _with_python_defaults(table, rows)
        columns = list(rows[0])
        arrays = [sa.func.unnest(sa.cast(sa.bindparam(f"{column}_values", [row[column] for row in rows],
                                                      type_=postgresql.ARRAY(table.c[column].type)),
                                         postgresql.ARRAY(table.c[column].type))).label(column)
                  for column in columns]
        statement: sa.Insert = postgresql.insert(table).from_select(columns, sa.select(*arrays))
        if index_elements:
            statement = statement.on_conflict_do_nothing(index_elements=list(index_elements))
        return db.session.execute(statement.returning(*returning) if returning else statement)
    statement = insert_ignoring_duplicates(table, *index_elements) if index_elements else sa.insert(table)
    return db.session.execute(statement.returning(*returning) if returning else statement, rows)


def _with_python_defaults(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with a value of their own for each column that has a Python-side default and no value
    (an executemany computes those per row; INSERT ... SELECT would compute one for all, e.g. one
    `link_token` for every contact)."""
    defaults = [(column.key, column.default) for column in table.columns
                if column.key not in rows[0] and isinstance(column.default, sa.ColumnDefault)]
    if not defaults:
        return rows
    return [{**row, **{key: default.arg(None) if default.is_callable else default.arg
                       for key, default in defaults}} for row in rows]


def lock_row(model: type[Locked], row_id: int, *options: ORMOption, busy: Callable[[], Exception]) -> Locked:
    """Locks one row until commit and returns it freshly read; `busy()` is raised when the lock is not had in time.

    PostgreSQL: SELECT ... FOR UPDATE with a lock_timeout, so a pile-up answers "busy" after a
    few seconds instead of hanging. SQLite has one writer: a no-op UPDATE takes the write lock
    now, before anything is counted, and its busy timeout plays the same role.
    """
    table: Any = model
    try:
        if db.engine.dialect.name == "postgresql":
            seconds = int(current_app.config["LOCK_TIMEOUT_SECONDS"])
            db.session.execute(sa.text(f"SET LOCAL lock_timeout = '{seconds}s'"))
            query = sa.select(table).where(table.id == row_id).with_for_update(of=table).options(*options)
            return db.session.execute(query.execution_options(populate_existing=True)).scalar_one()
        no_op = sa.update(table).where(table.id == row_id).values(id=table.id)
        db.session.execute(no_op.execution_options(synchronize_session=False))
        return db.session.get_one(model, row_id, populate_existing=True, options=list(options))
    except OperationalError as error:  # the transaction is spoilt: the unit of work rolls it back
        raise busy() from error
