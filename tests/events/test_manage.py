"""The personal manage link: see the registration, cancel it, and the waiting list moves up."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.timeutils import utcnow
from events.models import EventStatus, Registration, RegistrationStatus
from events.tokens import manage_token
from extensions import db
from tests.factories import make_event, make_organisation, make_registration, outbox

CONFIRMED = {"confirmed": "ja"}  # the second step of cancelling


def manage_path(registration: Registration) -> str:
    return f"/aanmelding/{manage_token(registration)}"


def status_of(registration_id: int) -> RegistrationStatus:
    db.session.expire_all()
    return db.session.get_one(Registration, registration_id).status


def test_manage_page_shows_the_registration_and_waitlist_position(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=1)
    make_registration(event)
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    second = make_registration(event, status=RegistrationStatus.WAITLISTED, name="Bram Bakker")
    page = client.get(manage_path(second)).get_data(as_text=True)
    assert "Bram Bakker" in page
    assert "op plaats 2" in page
    assert "Aanmelding annuleren" in page


def test_cancelling_frees_the_seat_for_the_first_on_the_waiting_list(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=1)
    seated = make_registration(event)
    first_waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    second_waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)

    response = client.post(manage_path(seated) + "/annuleren", data=CONFIRMED)

    assert response.status_code == 302
    assert status_of(seated.id) == RegistrationStatus.CANCELLED
    assert status_of(first_waiting.id) == RegistrationStatus.CONFIRMED
    assert status_of(second_waiting.id) == RegistrationStatus.WAITLISTED
    assert [m.to_address for m in outbox("registration_cancelled")] == [seated.email]
    (promotion,) = outbox("registration_promoted")
    assert promotion.to_address == first_waiting.email
    assert "/aanmelding/" in promotion.text_body


def test_cancelling_twice_changes_nothing_the_second_time(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=1)
    seated = make_registration(event)
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    client.post(manage_path(seated) + "/annuleren", data=CONFIRMED)
    client.post(manage_path(seated) + "/annuleren", data=CONFIRMED)
    assert len(outbox("registration_cancelled")) == 1
    assert len(outbox("registration_promoted")) == 1


def test_cancelled_page_no_longer_offers_cancelling(client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()), status=RegistrationStatus.CANCELLED)
    page = client.get(manage_path(registration)).get_data(as_text=True)
    assert "geannuleerd" in page
    assert "Aanmelding annuleren" not in page


def test_cancelling_after_the_start_is_refused_and_keeps_the_seat(client: FlaskClient) -> None:
    event = make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=10))
    seated = make_registration(event)
    response = client.post(manage_path(seated) + "/annuleren", data=CONFIRMED)
    assert response.status_code == 409
    assert "al begonnen" in response.get_data(as_text=True)
    assert status_of(seated.id) == RegistrationStatus.CONFIRMED
    assert outbox() == []


def test_no_promotion_for_a_cancelled_event(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=1, status=EventStatus.CANCELLED)
    seated = make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    client.post(manage_path(seated) + "/annuleren", data=CONFIRMED)
    assert status_of(waiting.id) == RegistrationStatus.WAITLISTED


def _flip_signature_character(token: str) -> str:
    """Changes a character well inside the signature (the last one partly holds padding bits)."""
    position = len(token) - 5
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]


@pytest.mark.parametrize("mangle", [_flip_signature_character, lambda t: "nonsense", lambda t: t + "."],
                         ids=["bad-signature", "garbage", "trailing-dot"])
def test_tampered_manage_link_is_404_and_changes_nothing(client: FlaskClient, mangle) -> None:  # noqa: ANN001
    registration = make_registration(make_event(make_organisation()))
    token = mangle(manage_token(registration))
    page = client.get(f"/aanmelding/{token}")
    assert page.status_code == 404
    assert "Deze link klopt niet" in page.get_data(as_text=True)
    assert client.post(f"/aanmelding/{token}/annuleren").status_code == 404
    assert status_of(registration.id) == RegistrationStatus.CONFIRMED


def test_manage_link_of_a_replaced_token_is_refused(client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()))
    old_path = manage_path(registration)
    registration.manage_token = "a-new-secret"
    db.session.commit()
    assert client.get(old_path).status_code == 404


def test_expired_manage_link_is_410(app: Flask, client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()))
    token = manage_token(registration)
    app.config["MANAGE_TOKEN_MAX_AGE_DAYS"] = -1  # every token is now older than allowed
    response = client.get(f"/aanmelding/{token}")
    assert response.status_code == 410
    assert "verlopen" in response.get_data(as_text=True)

