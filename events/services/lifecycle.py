"""Mail around an event: the reminder before it, and after it a follow-up to attendees and no-shows.

`flask events tick` (cron or `make run`) asks which events are due and sends each one's mails in
its own transaction. Each kind goes out once per event: the event row is locked, its
`reminder_sent_at` / `followup_sent_at` checked, and set in the same transaction as the queued
mails, so a second or parallel tick finds it set (tests/events/test_lifecycle_mail.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from events import notifications
from events.models import Event, EventStatus, Registration, RegistrationStatus
from events.online import link_released
from events.services.registration import lock_event
from extensions import db

MAX_REMINDER_HOURS = 14 * 24
# Late check-ins at the door come in before the follow-up goes.
FOLLOWUP_DELAY = timedelta(hours=1)
# An event that ended longer ago than this gets no follow-up any more (a first deploy, a long outage).
FOLLOWUP_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class FollowupCount:
    attended: int
    no_shows: int


def events_due_for_reminder(now: datetime) -> list[int]:
    candidates = db.session.execute(
        sa.select(Event.id, Event.starts_at, Event.reminder_hours_before).where(
            Event.status == EventStatus.PUBLISHED,
            Event.reminder_sent_at.is_(None),
            Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=MAX_REMINDER_HOURS),
        ).order_by(Event.starts_at)
    ).all()
    return [event_id for event_id, starts_at, hours in candidates if starts_at - timedelta(hours=hours) <= now]


def events_due_for_followup(now: datetime) -> list[int]:
    return list(db.session.scalars(
        sa.select(Event.id).where(
            Event.status == EventStatus.PUBLISHED,
            Event.followup_sent_at.is_(None),
            Event.ends_at <= now - FOLLOWUP_DELAY,
            Event.ends_at > now - FOLLOWUP_WINDOW,
        ).order_by(Event.ends_at)
    ))


def send_reminder(event_id: int, now: datetime) -> int:
    """Queues the reminder to every confirmed registrant, once; returns how many were queued."""
    event = lock_event(event_id)
    if event.reminder_sent_at is not None or event.status != EventStatus.PUBLISHED or event.starts_at <= now:
        return 0
    registrations = _confirmed(event_id)
    for registration in registrations:
        notifications.reminder(registration)
    event.reminder_sent_at = now
    if event.online_link_hours_before is not None and link_released(event, now):
        event.online_link_sent_at = now  # the reminder carried the held-back link
    db.session.flush()
    return len(registrations)


def events_due_for_online_link(now: datetime) -> list[int]:
    """Events whose held-back link is to be given out now and that no reminder carried yet."""
    candidates = db.session.execute(
        sa.select(Event.id, Event.starts_at, Event.online_link_hours_before).where(
            Event.status == EventStatus.PUBLISHED,
            Event.online_url.is_not(None),
            Event.online_link_hours_before.is_not(None),
            Event.online_link_sent_at.is_(None),
            Event.starts_at > now,
        ).order_by(Event.starts_at)
    ).all()
    return [event_id for event_id, starts_at, hours in candidates if starts_at - timedelta(hours=hours) <= now]


def send_online_link(event_id: int, now: datetime) -> int:
    """Mails the held-back link to every confirmed registrant, once (run after the reminders, so a
    reminder that carries the link makes this mail unnecessary)."""
    event = lock_event(event_id)
    if (event.online_link_sent_at is not None or event.status != EventStatus.PUBLISHED
            or event.starts_at <= now or not link_released(event, now)):
        return 0
    registrations = _confirmed(event_id)
    for registration in registrations:
        notifications.online_link(registration)
    event.online_link_sent_at = now
    db.session.flush()
    return len(registrations)


def send_followup(event_id: int, now: datetime) -> FollowupCount:
    """Thanks the attendees and writes to the no-shows, once.

    When nobody was checked in at all, the door did not use check-in: nobody is told they were
    missed, since they may well have been there.
    """
    event = lock_event(event_id)
    if event.followup_sent_at is not None or event.status != EventStatus.PUBLISHED:
        return FollowupCount(0, 0)
    registrations = _confirmed(event_id)
    attended = [registration for registration in registrations if registration.checked_in_at is not None]
    no_shows = [registration for registration in registrations if registration.checked_in_at is None]
    if not attended:
        no_shows = []
    for registration in attended:
        notifications.followup_attended(registration)
    for registration in no_shows:
        notifications.followup_no_show(registration)
    event.followup_sent_at = now
    db.session.flush()
    return FollowupCount(len(attended), len(no_shows))


def _confirmed(event_id: int) -> list[Registration]:
    return list(db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(Registration.id)
    ))
