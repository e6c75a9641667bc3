"""Who gets the online-meeting link, and when.

The link goes only to confirmed registrants of an event that still takes place, never to the
waiting list. An organiser may hold it back until `online_link_hours_before` hours before the start
(so it is not passed around weeks ahead); from then on the confirmation, the reminder and the manage
page carry it, and people who signed up earlier get it by the reminder or a mail of its own
(events/services/lifecycle.py: send_online_link).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from core.timeutils import utcnow
from events.models import Event, EventStatus, Registration, RegistrationStatus


def is_online_only(event: Event) -> bool:
    """An event without a place: no QR ticket, nothing to scan at a door."""
    return bool(event.online_url) and not (event.venue_name or event.venue_address)


def link_released_at(event: Event) -> datetime | None:
    """From when the link is given out; None when it is given at once (or there is none)."""
    if not event.online_url or event.online_link_hours_before is None:
        return None
    return event.starts_at - timedelta(hours=event.online_link_hours_before)


def link_released(event: Event, now: datetime | None = None) -> bool:
    if not event.online_url:
        return False
    released_at = link_released_at(event)
    return released_at is None or (now or utcnow()) >= released_at


def may_have_link(registration: Registration) -> bool:
    return registration.status == RegistrationStatus.CONFIRMED and registration.event.status != EventStatus.CANCELLED


def link_for(registration: Registration, now: datetime | None = None) -> str | None:
    """The link this person may see now, or None."""
    event = registration.event
    if may_have_link(registration) and link_released(event, now):
        return event.online_url
    return None


def link_held_back(registration: Registration, now: datetime | None = None) -> bool:
    """A confirmed person of an online event who gets the link later."""
    event = registration.event
    return bool(event.online_url) and may_have_link(registration) and not link_released(event, now)
