"""The seat counter on the event (`Event.seats_taken`) always equals its confirmed registrations.

A sign-up takes a seat with one conditional UPDATE of the counter instead of locking the event and
counting; so every path that changes registrations must move the counter in the same transaction.
These tests attack that with a random mix of every such path and compare the counter with COUNT.
"""
from __future__ import annotations

import dataclasses
import random

import pytest
import sqlalchemy as sa
from flask import Flask

from events.models import Event, Registration, RegistrationStatus
from events.services.management import CapacityBelowConfirmed, EventData, update_event
from events.services.registration import (
    RegistrationError,
    SignupData,
    cancel_registration,
    confirmed_count,
    register,
)
from extensions import db
from tests.factories import make_event, make_organisation


def _event_data(event: Event, **changes: object) -> EventData:
    names = [field.name for field in dataclasses.fields(EventData)]
    return dataclasses.replace(EventData(**{name: getattr(event, name) for name in names}), **changes)


def _counter(event_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Event.seats_taken).where(Event.id == event_id))


def _live(event_id: int) -> list[Registration]:
    return list(db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event_id, Registration.status != RegistrationStatus.CANCELLED)))


def _one_operation(rng: random.Random, event_id: int, n: int) -> None:
    """One unit of work of a random kind, committed, or rolled back when refused."""
    event = db.session.get_one(Event, event_id)
    live = _live(event_id)
    kind = rng.choice(["signup", "signup", "signup", "again", "cancel", "organiser_cancel", "walk_in",
                       "capacity_up", "capacity_down", "waitlist_toggle"])
    try:
        if kind == "signup":
            register(event_id, SignupData(name=f"Persoon {n}", email=f"p{n}@example.org"))
        elif kind == "again" and live:  # the same address again: no second seat
            register(event_id, SignupData(name="Nog eens", email=rng.choice(live).email))
        elif kind in ("cancel", "organiser_cancel") and live:
            cancel_registration(rng.choice(live), by_organiser=kind == "organiser_cancel")
        elif kind == "walk_in":
            register(event_id, SignupData(name=f"Binnenloper {n}", email=f"w{n}@example.org"),
                     allow_closed=True, allow_over_capacity=rng.random() < 0.5)
        elif kind == "capacity_up":
            update_event(event_id, _event_data(event, capacity=event.capacity + rng.randint(1, 3)))
        elif kind == "capacity_down":
            update_event(event_id, _event_data(event, capacity=max(event.capacity - rng.randint(1, 3), 0)))
        elif kind == "waitlist_toggle":
            update_event(event_id, _event_data(event, waitlist_enabled=not event.waitlist_enabled))
        db.session.commit()
    except (RegistrationError, CapacityBelowConfirmed):
        db.session.rollback()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counter_equals_the_confirmed_count_after_a_random_mix_of_operations(app: Flask, seed: int) -> None:
    rng = random.Random(seed)
    event = make_event(make_organisation(), capacity=5, waitlist_enabled=True)
    for n in range(120):
        _one_operation(rng, event.id, n)
        assert _counter(event.id) == confirmed_count(event.id), f"after operation {n}"
    db.session.expire_all()
    event = db.session.get_one(Event, event.id)
    waiting = db.session.scalar(sa.select(sa.func.count()).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED))
    # Nobody waits while a seat is free: cancellations and a raised capacity promote at once.
    assert waiting == 0 or event.seats_taken >= event.capacity


def test_a_sign_up_takes_a_seat_on_the_counter_without_touching_updated_at(app: Flask) -> None:
    event = make_event(make_organisation(), capacity=1, waitlist_enabled=True)
    changed_at = event.updated_at
    first = register(event.id, SignupData(name="Een", email="een@example.org"))
    db.session.commit()
    # Calendars read updated_at as "the event changed"; a seat taken is no change to the event.
    assert db.session.get_one(Event, event.id).updated_at == changed_at
    second = register(event.id, SignupData(name="Twee", email="twee@example.org"))
    db.session.commit()
    assert (first.status, second.status) == (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    assert _counter(event.id) == 1


def test_cancelling_gives_the_seat_to_the_first_waitlisted_and_the_counter_stays(app: Flask) -> None:
    event = make_event(make_organisation(), capacity=1, waitlist_enabled=True)
    seated = register(event.id, SignupData(name="Een", email="een@example.org"))
    waiting = register(event.id, SignupData(name="Twee", email="twee@example.org"))
    db.session.commit()
    assert cancel_registration(seated) == [waiting]
    db.session.commit()
    assert waiting.status == RegistrationStatus.CONFIRMED and _counter(event.id) == 1
    cancel_registration(waiting)
    db.session.commit()
    assert _counter(event.id) == 0


def test_the_migration_fills_the_counter_from_the_registrations(app: Flask) -> None:
    """The backfill statement of migration c4f8a1d3e5b7, run on rows the counter does not know."""
    event = make_event(make_organisation(), capacity=5)
    for n, status in enumerate([RegistrationStatus.CONFIRMED] * 3 + [RegistrationStatus.CANCELLED]):
        db.session.add(Registration(event_id=event.id, name="x", email=f"m{n}@example.org", status=status))
    db.session.commit()
    assert _counter(event.id) == 0
    db.session.execute(sa.text(
        "UPDATE events SET seats_taken = (SELECT count(*) FROM registrations"
        " WHERE registrations.event_id = events.id AND registrations.status = 'confirmed')"))
    db.session.commit()
    assert _counter(event.id) == 3


def test_a_confirmation_not_yet_composed_when_the_person_cancels_is_not_sent(app: Flask) -> None:
    """The worker composes the sign-up mail as it sends it; by then the registration may be gone."""
    from mailing.models import MessageStatus, OutgoingMessage
    from mailing.worker import run_worker

    event = make_event(make_organisation(), capacity=1)
    registration = register(event.id, SignupData(name="Een", email="een@example.org"))
    db.session.commit()
    cancel_registration(registration)
    db.session.commit()
    assert run_worker(once=True) == 1  # the cancellation only
    db.session.expire_all()
    rows = {row.template: row for row in db.session.scalars(sa.select(OutgoingMessage))}
    assert rows["registration_confirmed"].status == MessageStatus.CANCELLED
    assert rows["registration_confirmed"].attachments == []
    assert rows["registration_cancelled"].status == MessageStatus.SENT
