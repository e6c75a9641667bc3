"""The offline door over HTTP: the device list (scope, fields, no-store), the manifest and the service
worker, and the queue's guarantee: scans sent late, twice, from two devices give one check-in."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Role
from core.audit import AuditEntry
from core.timeutils import utcnow
from events.models import CheckinLog, CheckinResult, Event, RegistrationStatus
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user

OFFLINE_FIELDS = {"code", "name", "organisation", "ticket", "checked_in"}


@pytest.fixture
def event(app) -> Event:  # noqa: ANN001
    return make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=10))


@pytest.fixture
def door(client: FlaskClient, event: Event) -> FlaskClient:
    login(client, make_user(event.organisation, Role.CHECKIN))
    return client


def list_url(event: Event) -> str:
    return f"/beheer/check-in/{event.id}/lijst.json"


def test_the_list_holds_name_organisation_and_code_only_and_is_never_cached(door: FlaskClient, event: Event) -> None:
    anna = make_registration(event, name="Anna", company_name="Bakkerij", phone="0612345678",
                             email="anna@example.org")
    make_registration(event, name="Wachtende Wim", status=RegistrationStatus.WAITLISTED)
    make_registration(event, name="Afgemelde Ank", status=RegistrationStatus.CANCELLED)
    response = door.get(list_url(event))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["event_id"] == event.id and body["ends_at"] == event.ends_at.isoformat()
    (person,) = body["people"]
    assert set(person) == OFFLINE_FIELDS
    assert person == {"code": anna.door_code, "name": "Anna", "organisation": "Bakkerij",
                      "ticket": hashlib.sha256(anna.checkin_code.encode()).hexdigest(), "checked_in": False}
    text = response.get_data(as_text=True)
    for secret in ("anna@example.org", "0612345678", anna.checkin_code, anna.manage_token):
        assert secret not in text
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registrations.offline_list")).one()
    assert entry.record_id == event.id and entry.organisation_id == event.organisation_id


def test_the_list_is_for_the_door_of_the_events_own_organisation(client: FlaskClient, event: Event) -> None:
    make_registration(event)
    login(client, make_user(make_organisation(), Role.CHECKIN))
    assert client.get(list_url(event)).status_code == 404
    client.post("/beheer/uitloggen")
    login(client, make_user(event.organisation, Role.COMMUNICATIONS))
    assert client.get(list_url(event)).status_code == 403
    client.post("/beheer/uitloggen")
    assert client.get(list_url(event)).status_code in (302, 401)


def test_the_manifest_and_the_worker_are_scoped_to_the_door(door: FlaskClient) -> None:
    manifest = door.get("/beheer/check-in/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.get_data(as_text=True))
    assert body["scope"] == body["start_url"] == "/beheer/check-in/"
    assert body["display"] == "standalone" and body["icons"]
    assert door.get(body["icons"][0]["src"]).status_code == 200
    worker = door.get("/beheer/check-in/door-sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert worker.headers["Service-Worker-Allowed"] == "/beheer/check-in/"
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]
    assert "self.addEventListener" in worker.get_data(as_text=True)


def test_the_door_page_links_the_manifest_and_has_no_inline_script(door: FlaskClient, event: Event) -> None:
    page = door.get(f"/beheer/check-in/{event.id}").get_data(as_text=True)
    assert '<link rel="manifest" href="/beheer/check-in/manifest.webmanifest">' in page
    assert "<script>" not in page and "<script " in page
    assert 'data-list-url="/beheer/check-in/%d/lijst.json"' % event.id in page


def test_queued_scans_from_two_devices_give_one_check_in_and_one_already(door: FlaskClient, event: Event) -> None:
    registration = make_registration(event)
    url = f"/beheer/check-in/{event.id}/scan.json"
    first = {"code": registration.door_code, "nonce": "device-a-scan-1", "scanned_at": "2026-12-02T09:00:00+01:00"}
    second = {"code": registration.door_code_shown.lower(), "nonce": "device-b-scan-1",
              "scanned_at": "2026-12-02T09:00:05+01:00"}
    answers = [door.post(url, json=body) for body in (first, second, first, second)]  # each device retries once
    assert [answer.get_json()["result"] for answer in answers] == [
        "checked_in", "already_checked_in", "checked_in", "already_checked_in"]
    db.session.expire_all()
    results = db.session.scalars(sa.select(CheckinLog.result).order_by(CheckinLog.id)).all()
    assert results == [CheckinResult.CHECKED_IN, CheckinResult.ALREADY_CHECKED_IN]
