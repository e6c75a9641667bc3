"""Aggregate figures of held events: sessions, registered, attended, split several ways.

One query reads one row per held event with its counts; the splits are summed from those rows,
so the number of queries stays the same however many events there are.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from accounts.models import Organisation
from campaigns.models import Campaign
from campaigns.services.campaigns import SOURCE_TAG_PREFIX
from core.timeutils import local_to_utc, to_local, utcnow
from events.models import Audience, Event, EventKind, EventStatus, Registration, RegistrationStatus
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage


@dataclass
class Figures:
    sessions: int = 0
    registered: int = 0
    attended: int = 0

    @property
    def rate(self) -> float | None:
        """Attended per registered, or None when nobody registered."""
        return self.attended / self.registered if self.registered else None

    def add(self, registered: int, attended: int) -> None:
        self.sessions += 1
        self.registered += registered
        self.attended += attended


@dataclass(frozen=True)
class Row:
    """One line of a split: its key (an enum value, "2026-03", an organisation id) and its figures."""

    key: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class FunnelRow:
    campaign: str
    sent: int
    signups: int
    attended: int


@dataclass(frozen=True)
class Period:
    """[start, end) as aware UTC moments; `months` are its calendar months in Amsterdam time."""

    start: datetime
    end: datetime
    months: list[date]


@dataclass
class Results:
    total: Figures = field(default_factory=Figures)
    by_audience: list[Row] = field(default_factory=list)
    by_kind: list[Row] = field(default_factory=list)
    by_month: list[Row] = field(default_factory=list)
    by_organisation: list[Row] = field(default_factory=list)
    funnel: list[FunnelRow] = field(default_factory=list)


def last_twelve_months(today: date | None = None) -> Period:
    today = today or to_local(utcnow()).date()
    first = _add_months(today.replace(day=1), -11)
    return _period(first, 12)


def calendar_year(year: int) -> Period:
    return _period(date(year, 1, 1), 12)


def _period(first_month: date, count: int) -> Period:
    months = [_add_months(first_month, n) for n in range(count)]
    start = local_to_utc(datetime.combine(months[0], datetime.min.time()))
    end = local_to_utc(datetime.combine(_add_months(months[-1], 1), datetime.min.time()))
    return Period(start=start, end=end, months=months)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def results(organisation_ids: list[int], period: Period) -> Results:
    """Held events (published, ended) that started in `period` in these organisations."""
    totals = Results()
    audiences: dict[str, Figures] = defaultdict(Figures)
    kinds: dict[str, Figures] = defaultdict(Figures)
    months: dict[str, Figures] = defaultdict(Figures)
    organisations: dict[tuple[str, int], Figures] = defaultdict(Figures)
    for row in _held_events(organisation_ids, period):
        for figures in (totals.total, audiences[row.audience], kinds[row.kind],
                        months[to_local(row.starts_at).strftime("%Y-%m")],
                        organisations[(row.organisation_name, row.organisation_id)]):
            figures.add(row.registered, row.attended)
    totals.by_audience = _rows(Audience, audiences)
    totals.by_kind = _rows(EventKind, kinds)
    totals.by_month = [Row(month.strftime("%Y-%m"), month.isoformat(), months[month.strftime("%Y-%m")])
                       for month in period.months]
    totals.by_organisation = [Row(str(organisation_id), name, figures)
                              for (name, organisation_id), figures in sorted(organisations.items())]
    totals.funnel = campaign_funnel(organisation_ids, period)
    return totals


def _rows(members: Iterable[Audience] | Iterable[EventKind], figures: dict[str, Figures]) -> list[Row]:
    """Every enum member in its own order, zeros included, so the tables look alike each year."""
    return [Row(member.value, member.value, figures[member.value]) for member in members]


def _held_events(organisation_ids: list[int], period: Period) -> list[sa.Row]:
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    query = (
        sa.select(
            Event.organisation_id,
            Organisation.name.label("organisation_name"),
            Event.audience,
            Event.kind,
            Event.starts_at,
            sa.func.count(Registration.id).filter(confirmed).label("registered"),
            sa.func.count(Registration.id).filter(confirmed, Registration.checked_in_at.is_not(None))
            .label("attended"),
        )
        .join(Organisation, Organisation.id == Event.organisation_id)
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(
            Event.organisation_id.in_(organisation_ids),
            Event.status == EventStatus.PUBLISHED,
            Event.ends_at <= utcnow(),
            Event.starts_at >= period.start,
            Event.starts_at < period.end,
        )
        .group_by(Event.id, Event.organisation_id, Organisation.name, Event.audience, Event.kind, Event.starts_at)
    )
    return list(db.session.execute(query))


def campaign_funnel(organisation_ids: list[int], period: Period) -> list[FunnelRow]:
    """Per campaign launched in `period`: mails sent, sign-ups it brought (Registration.source), of whom attended.

    One query, its counts as correlated subqueries, however many campaigns there are.
    """
    signups = (sa.select(sa.func.count(Registration.id)).join(Event, Event.id == Registration.event_id)
               .where(Registration.source == sa.literal(SOURCE_TAG_PREFIX) + sa.cast(Campaign.id, sa.String),
                      Registration.status != RegistrationStatus.CANCELLED,
                      Event.organisation_id == Campaign.organisation_id))
    query = (
        sa.select(
            Campaign.name,
            sa.select(sa.func.count(OutgoingMessage.id))
            .where(OutgoingMessage.campaign_id == Campaign.id, OutgoingMessage.status == MessageStatus.SENT)
            .scalar_subquery().label("sent"),
            signups.scalar_subquery().label("signups"),
            signups.where(Registration.checked_in_at.is_not(None)).scalar_subquery().label("attended"),
        )
        .where(Campaign.organisation_id.in_(organisation_ids), Campaign.launched_at >= period.start,
               Campaign.launched_at < period.end)
        .order_by(Campaign.launched_at, Campaign.id)
    )
    return [FunnelRow(row.name, row.sent, row.signups, row.attended) for row in db.session.execute(query)]

