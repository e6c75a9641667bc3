"""Concurrent cancellations never promote more waitlisted people than seats freed (PostgreSQL, live server).

Cancellation and promotion take the event lock (`events.services.registration.lock_event`), as does
a sign-up that finds no free seat on the counter; the counter itself is changed once per
cancellation, at its end. The negative control switches that lock off and shows
the same load breaks the count, so this test can catch the bug it guards against.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from events.models import Event, Registration, RegistrationStatus
from events.tokens import manage_token
from extensions import db
from tests.conftest import LiveServer
from tests.factories import make_event, make_organisation, make_registration, outbox

SEATS = 10
WAITLISTED = 20
NEW_SIGNUPS = 10


def _count(event_id: int, *conditions: sa.ColumnElement[bool]) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).where(Registration.event_id == event_id, *conditions))


def _full_event_with_waitlist(server: LiveServer) -> tuple[Event, list[int]]:
    """An event with every seat taken and a waiting list; cancels ten seats while ten others sign up.

    Returns the event and the HTTP statuses of all those requests.
    """
    event = make_event(make_organisation(), capacity=SEATS, waitlist_enabled=True)
    confirmed = [make_registration(event) for _ in range(SEATS)]
    for _ in range(WAITLISTED):
        make_registration(event, status=RegistrationStatus.WAITLISTED)
    cancel_urls = [f"{server.url}/aanmelding/{manage_token(r)}/annuleren" for r in confirmed]
    signup_url = f"{server.url}/evenementen/{event.id}/{event.slug}"

    def cancel(url: str) -> int:
        return requests.post(url, data={"confirmed": "ja"}, allow_redirects=False, timeout=30).status_code

    def sign_up(n: int) -> int:
        data = {"name": f"Nieuw {n}", "email": f"nieuw{n}@example.org"}
        return requests.post(signup_url, data=data, allow_redirects=False, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=SEATS + NEW_SIGNUPS) as pool:
        cancellations = [pool.submit(cancel, url) for url in cancel_urls]
        signups = [pool.submit(sign_up, n) for n in range(NEW_SIGNUPS)]
        return event, [future.result() for future in cancellations + signups]


@pytest.mark.postgres_only
def test_concurrent_cancellations_promote_exactly_as_many_as_they_free(app: Flask, live_server: LiveServer) -> None:
    event, statuses = _full_event_with_waitlist(live_server)
    assert statuses == [302] * (SEATS + NEW_SIGNUPS)
    assert _count(event.id, Registration.status == RegistrationStatus.CANCELLED) == SEATS
    assert _count(event.id, Registration.status == RegistrationStatus.CONFIRMED) == SEATS
    assert _count(event.id, Registration.promoted_at.is_not(None)) == SEATS  # one promotion per seat freed
    assert len(outbox("registration_promoted")) == SEATS
    assert _count(event.id, Registration.status == RegistrationStatus.WAITLISTED) == WAITLISTED + NEW_SIGNUPS - SEATS
    assert db.session.get_one(Event, event.id).seats_taken == SEATS


def _counts_hold(event_id: int) -> bool:
    return (_count(event_id, Registration.status == RegistrationStatus.CONFIRMED) == SEATS
            and _count(event_id, Registration.promoted_at.is_not(None)) == SEATS)


@pytest.mark.postgres_only
def test_negative_control_without_the_lock_the_same_load_miscounts(app: Flask, live_server: LiveServer) -> None:
    app.config["EVENT_LOCK_ENABLED"] = False
    broken = False
    for _ in range(3):  # a race is likely, not certain, in one round
        event, _statuses = _full_event_with_waitlist(live_server)
        if not _counts_hold(event.id):
            broken = True
            break
    assert broken, "without the lock the race should miscount; if not, this test proves nothing"
