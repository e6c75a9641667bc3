"""The door code: short, without look-alikes, unique per event, typed in any form at the door."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from accounts.models import Role
from core.timeutils import utcnow
from events import doorcode
from events.models import DOOR_CODE_ALPHABET, CheckinLog, CheckinResult, Event, Registration
from events.services.registration import SignupData, register
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user, outbox

LOOK_ALIKES = set("0O1IL")


@pytest.fixture
def event(app) -> Event:  # noqa: ANN001
    return make_event(make_organisation(), starts_at=utcnow() + timedelta(minutes=30))


@pytest.fixture
def door(client: FlaskClient, event: Event) -> FlaskClient:
    login(client, make_user(event.organisation, Role.CHECKIN))
    return client


def test_alphabet_has_no_look_alikes_and_enough_codes() -> None:
    assert not LOOK_ALIKES & set(DOOR_CODE_ALPHABET)
    assert len(set(DOOR_CODE_ALPHABET)) == len(DOOR_CODE_ALPHABET) == 25
    assert len(DOOR_CODE_ALPHABET) ** 8 > 10**11


def test_a_sign_up_gets_a_grouped_door_code_on_the_manage_page_and_in_the_mail(client: FlaskClient,
                                                                                event: Event) -> None:
    registration = register(event.id, SignupData(name="Anna", email="anna@example.org"))
    db.session.commit()
    assert re.fullmatch(f"[{DOOR_CODE_ALPHABET}]{{8}}", registration.door_code)
    shown = registration.door_code_shown
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", shown)
    (mail,) = outbox("registration_confirmed")
    assert shown in mail.text_body and registration.checkin_code not in mail.text_body


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{first}-{second}", "{first} {second}", " {lower_dash} "])
def test_the_typed_code_field_takes_the_door_code_in_any_form(door: FlaskClient, event: Event, typed: str) -> None:
    registration = make_registration(event)
    code = registration.door_code
    text = typed.format(code=code, lower=code.lower(), first=code[:4], second=code[4:],
                        lower_dash=f"{code[:4]}-{code[4:]}".lower())
    response = door.post(f"/beheer/check-in/{event.id}/scan.json", json={"code": text, "nonce": "nonce-typed-1"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == "checked_in"
    log = db.session.scalar(sa.select(CheckinLog))
    assert log.code == code and log.registration_id == registration.id


def test_a_read_out_look_alike_counts_as_the_kept_symbol() -> None:
    assert doorcode.normalise("s2b2-c3d4") == "5282C3D4"
    assert doorcode.normalise("OOOO-0000") is None
    assert doorcode.normalise("x" * 32) is None


def test_the_door_code_of_another_event_is_unknown_here(door: FlaskClient, event: Event) -> None:
    other = make_registration(make_event(event.organisation, starts_at=event.starts_at))
    response = door.post(f"/beheer/check-in/{event.id}/scan.json", json={"code": other.door_code,
                                                                         "nonce": "nonce-other-1"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(CheckinLog)).result == CheckinResult.REFUSED


def test_the_door_code_form_without_javascript(door: FlaskClient, event: Event) -> None:
    registration = make_registration(event, name="Bram Bos")
    response = door.post(f"/beheer/check-in/{event.id}/scan",
                         data={"code": registration.door_code_shown.lower(), "nonce": "nonce-form-1"})
    assert response.status_code == 200
    assert "Ingecheckt" in response.get_data(as_text=True)


def test_door_codes_are_unique_per_event_by_constraint(event: Event) -> None:
    first = make_registration(event)
    with pytest.raises(IntegrityError):
        make_registration(event, door_code=first.door_code)
    db.session.rollback()
    elsewhere = make_registration(make_event(event.organisation), door_code=first.door_code)
    assert elsewhere.door_code == first.door_code


def test_a_colliding_new_code_is_drawn_again(event: Event, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = make_registration(event).door_code
    fresh = "ACDE2345"
    draws = iter([taken, taken, taken, taken, fresh, fresh, fresh])
    monkeypatch.setattr("events.services.registration.new_door_code", lambda: next(draws))
    monkeypatch.setattr("events.doorcode.new_door_code", lambda: next(draws))
    registration = register(event.id, SignupData(name="Cas", email="cas@example.org"))
    db.session.commit()
    assert registration.door_code == fresh
    (mail,) = outbox("registration_confirmed")
    assert "ACDE-2345" in mail.text_body  # the mail composed with the old code was composed again


def test_guessing_door_codes_is_limited_per_user(app_with, event: Event) -> None:  # noqa: ANN001
    limited = app_with(RATELIMIT_ENABLED=True, DOOR_GUESS_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    login(client, make_user(event.organisation, Role.CHECKIN))
    url = f"/beheer/check-in/{event.id}/scan.json"
    statuses = [client.post(url, json={"code": "ACDE-FGH2", "nonce": f"guess-nonce-{n}"}).status_code
                for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    registration = make_registration(event)
    assert client.post(url, json={"code": registration.door_code, "nonce": "guess-nonce-x"}).status_code == 429


def test_valid_scans_do_not_count_against_the_guess_limit(app_with, event: Event) -> None:  # noqa: ANN001
    limited = app_with(RATELIMIT_ENABLED=True, DOOR_GUESS_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    login(client, make_user(event.organisation, Role.CHECKIN))
    people = [make_registration(event) for _ in range(4)]
    statuses = [client.post(f"/beheer/check-in/{event.id}/scan.json",
                            json={"code": person.door_code, "nonce": f"valid-nonce-{n}"}).status_code
                for n, person in enumerate(people)]
    assert statuses == [200, 200, 200, 200]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                             .where(Registration.checked_in_at.is_not(None))) == 4
