"""Read queries for the public pages: a constant number of SQL statements per page."""
from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from accounts.models import Organisation
from core.timeutils import utcnow
from events.models import Audience, Event, EventKind, EventStatus, Registration, RegistrationStatus
from events.services.registration import registration_closed_reason
from extensions import db

PAGE_SIZE = 20


class Availability(enum.StrEnum):
    OPEN = "open"
    WAITLIST = "waitlist"
    FULL = "full"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class EventListing:
    event: Event
    confirmed: int

    @property
    def seats_left(self) -> int:
        return max(self.event.capacity - self.confirmed, 0)

    @property
    def availability(self) -> Availability:
        if self.event.status == EventStatus.CANCELLED:
            return Availability.CANCELLED
        if registration_closed_reason(self.event):
            return Availability.CLOSED
        if self.seats_left > 0:
            return Availability.OPEN
        return Availability.WAITLIST if self.event.waitlist_enabled else Availability.FULL


@dataclass(frozen=True)
class EventFilters:
    audience: Audience | None = None
    organisation_slug: str | None = None
    kind: EventKind | None = None


def _confirmed_counts() -> sa.Subquery:
    return (
        sa.select(Registration.event_id, sa.func.count().label("confirmed"))
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.event_id)
        .subquery()
    )


def upcoming_events(filters: EventFilters, page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list[EventListing], int]:
    """One page of published events that have not ended, soonest first, and the total count."""
    counts = _confirmed_counts()
    query = (
        sa.select(Event, sa.func.coalesce(counts.c.confirmed, 0))
        .outerjoin(counts, counts.c.event_id == Event.id)
        .join(Event.organisation)
        .options(joinedload(Event.organisation))
        .where(Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]), Event.ends_at > utcnow())
    )
    if filters.audience:
        # "Everyone" events belong in every audience's list.
        query = query.where(Event.audience.in_([filters.audience, Audience.EVERYONE]))
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.organisation_slug:
        query = query.where(Organisation.slug == filters.organisation_slug)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.order_by(Event.starts_at, Event.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return [EventListing(event, confirmed) for event, confirmed in rows], total


def organisations_with_events() -> list[Organisation]:
    query = (
        sa.select(Organisation)
        .where(Organisation.id.in_(sa.select(Event.organisation_id).where(Event.status == EventStatus.PUBLISHED)))
        .order_by(Organisation.name)
    )
    return list(db.session.scalars(query))


def public_event(event_id: int) -> EventListing | None:
    """A published or cancelled event with its organisation, questions and seat count."""
    counts = _confirmed_counts()
    row = db.session.execute(
        sa.select(Event, sa.func.coalesce(counts.c.confirmed, 0))
        .outerjoin(counts, counts.c.event_id == Event.id)
        .options(joinedload(Event.organisation), selectinload(Event.questions))
        .where(Event.id == event_id, Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]))
    ).first()
    return EventListing(row[0], row[1]) if row else None
