"""Time rules: store UTC, show and enter Europe/Amsterdam."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_local(moment: datetime) -> datetime:
    """An aware UTC moment as Amsterdam wall-clock time."""
    return moment.astimezone(LOCAL_TZ)


def local_to_utc(wall_clock: datetime) -> datetime:
    """A naive Amsterdam wall-clock time (as typed in a form) as an aware UTC moment."""
    if wall_clock.tzinfo is not None:
        return wall_clock.astimezone(timezone.utc)
    return wall_clock.replace(tzinfo=LOCAL_TZ).astimezone(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite drops the offset of ``DateTime(timezone=True)``; this type gives both backends the
    same behaviour, so comparisons with ``utcnow()`` never mix naive and aware values.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
