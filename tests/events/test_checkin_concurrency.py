"""Two organisers scanning the same ticket at the same moment: one check-in, one "already checked in".

The rule lives in `events.services.checkin.lock_registration`: the registration row is locked
before its state is read. The negative control switches the lock off and shows that the same
load checks people in twice, so this test can catch the bug it guards against.
"""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from accounts.models import Role
from events.models import CheckinLog, CheckinResult, Event, Registration
from extensions import db
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_event, make_organisation, make_registration, make_user

TICKETS = 10
DEVICES = 6


def _sessions(server: LiveServer, event: Event) -> list[requests.Session]:
    sessions = []
    for _ in range(DEVICES):
        user = make_user(event.organisation, Role.ORGANISER)
        session = requests.Session()
        response = session.post(f"{server.url}/beheer/inloggen", data={"email": user.email, "password": PASSWORD},
                                allow_redirects=False, timeout=30)
        assert response.status_code == 302
        sessions.append(session)
    return sessions


def _scan_each_ticket_from_every_device_at_once(server: LiveServer, event: Event,
                                                registrations: list[Registration]) -> list[int]:
    sessions = _sessions(server, event)
    url = f"{server.url}/beheer/check-in/{event.id}/scan.json"
    statuses = []
    for number, registration in enumerate(registrations):
        start = threading.Barrier(DEVICES)

        def scan(device: int, code: str = registration.checkin_code, number: int = number,
                 start: threading.Barrier = start) -> int:
            start.wait()
            body = {"code": code, "nonce": f"device-{device}-ticket-{number}"}
            return sessions[device].post(url, json=body, timeout=30).status_code

        with ThreadPoolExecutor(max_workers=DEVICES) as pool:
            statuses += list(pool.map(scan, range(DEVICES)))
    return statuses


def _results_per_ticket() -> list[Counter]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(CheckinLog.registration_id, CheckinLog.result)).all()
    per_ticket: dict[int, Counter] = {}
    for registration_id, result in rows:
        per_ticket.setdefault(registration_id, Counter())[result] += 1
    return list(per_ticket.values())


@pytest.mark.postgres_only
def test_simultaneous_scans_of_one_ticket_check_in_once(app: Flask, live_server: LiveServer) -> None:
    event = make_event(make_organisation())
    registrations = [make_registration(event) for _ in range(TICKETS)]

    statuses = _scan_each_ticket_from_every_device_at_once(live_server, event, registrations)

    assert Counter(statuses) == {200: TICKETS, 409: TICKETS * (DEVICES - 1)}
    assert _results_per_ticket() == [
        Counter({CheckinResult.CHECKED_IN: 1, CheckinResult.ALREADY_CHECKED_IN: DEVICES - 1})] * TICKETS
    checked_in = sa.select(sa.func.count()).where(Registration.checked_in_at.is_not(None))
    assert db.session.scalar(checked_in) == TICKETS


@pytest.mark.postgres_only
def test_negative_control_without_the_lock_a_ticket_checks_in_twice(app: Flask, live_server: LiveServer) -> None:
    app.config["CHECKIN_LOCK_ENABLED"] = False
    event = make_event(make_organisation())
    registrations = [make_registration(event) for _ in range(TICKETS)]

    _scan_each_ticket_from_every_device_at_once(live_server, event, registrations)

    doubled = [counts for counts in _results_per_ticket() if counts[CheckinResult.CHECKED_IN] > 1]
    assert doubled, "without the lock some ticket should check in twice; if not, this test proves nothing"
