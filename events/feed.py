"""Events as plain data for the open API, the JSON feed and the agenda widget.

The shape is the contract written down in `events/api/openapi.json` (schema `Event`); the tests check every
answer against that document.
"""
from __future__ import annotations

from core.timeutils import to_local
from events.models import EventStatus
from events.notifications import event_url
from events.services.queries import Availability, EventListing


def event_document(item: EventListing) -> dict[str, object]:
    """One published or cancelled event; times in Europe/Amsterdam with their UTC offset."""
    event = item.event
    cancelled = event.status == EventStatus.CANCELLED
    organisation = event.organisation
    return {
        "id": event.id,
        "title": event.title,
        "description": event.description or "",
        "url": event_url(event),
        "organisation": {"name": organisation.name, "slug": organisation.slug, "colour": organisation.brand_colour},
        "audience": event.audience.value,
        "kind": event.kind.value,
        "status": "cancelled" if cancelled else "published",
        "cancellation_reason": (event.cancellation_reason or None) if cancelled else None,
        "starts_at": to_local(event.starts_at).isoformat(),
        "ends_at": to_local(event.ends_at).isoformat(),
        "online": bool(event.online_url),
        "venue": _venue(item),
        "capacity": event.capacity,
        "availability": item.availability.value,
        "places_left": None if item.availability == Availability.CANCELLED else item.seats_left,
        "waitlist": event.waitlist_enabled,
    }


def _venue(item: EventListing) -> dict[str, str | None] | None:
    event = item.event
    if not (event.venue_name or event.venue_address):
        return None
    return {"name": event.venue_name or None, "address": event.venue_address or None}
