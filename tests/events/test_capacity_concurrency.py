"""No overbooking under real concurrency (PostgreSQL, live server, separate connections).

The rule lives in `events.services.registration._take_seat_or_wait`: a seat is taken by one
conditional UPDATE of the event's seat counter (`seats_taken < capacity`), and a sign-up that finds
none decides under the event lock. The negative control switches both off (`EVENT_LOCK_ENABLED`):
the sign-up then reads the counter, decides, and writes, as code without the guard would; the same
load overbooks, so this test can catch the bug it guards against. The counter stays equal to the
confirmed rows either way (it is changed by +1, never written back from a read).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from events.models import Event, Registration, RegistrationStatus
from extensions import db
from tests.conftest import LiveServer
from tests.factories import make_event, make_organisation

SIGNUPS = 50
SEATS = 10


def _sign_up_concurrently(server: LiveServer, event: Event) -> list[int]:
    url = f"{server.url}/evenementen/{event.id}/{event.slug}"

    def sign_up(n: int) -> int:
        data = {"name": f"Deelnemer {n}", "email": f"race{n}@example.org"}
        return requests.post(url, data=data, allow_redirects=False, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=SIGNUPS) as pool:
        return list(pool.map(sign_up, range(SIGNUPS)))


def _count(event: Event, status: RegistrationStatus) -> int:
    db.session.expire_all()
    query = sa.select(sa.func.count()).where(Registration.event_id == event.id, Registration.status == status)
    return db.session.scalar(query)


@pytest.mark.postgres_only
def test_fifty_concurrent_signups_fill_ten_seats_and_waitlist_the_rest(app: Flask, live_server: LiveServer) -> None:
    event = make_event(make_organisation(), capacity=SEATS, waitlist_enabled=True)

    statuses = _sign_up_concurrently(live_server, event)

    assert statuses == [302] * SIGNUPS
    assert _count(event, RegistrationStatus.CONFIRMED) == SEATS
    assert _count(event, RegistrationStatus.WAITLISTED) == SIGNUPS - SEATS
    assert db.session.get_one(Event, event.id).seats_taken == SEATS


@pytest.mark.postgres_only
def test_negative_control_without_the_guard_the_same_load_overbooks(app: Flask, live_server: LiveServer) -> None:
    app.config["EVENT_LOCK_ENABLED"] = False
    overbooked = False
    for _ in range(3):  # a race is likely, not certain, in one round
        event = make_event(make_organisation(), capacity=SEATS, waitlist_enabled=True)
        _sign_up_concurrently(live_server, event)
        if _count(event, RegistrationStatus.CONFIRMED) > SEATS:
            overbooked = True
            break
    assert overbooked, "without the guard the race should overbook; if not, this test proves nothing"
