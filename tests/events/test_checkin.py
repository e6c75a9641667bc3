"""Check-in at the door through HTTP: scans, refusals, retries, undo, walk-ins, search and counts."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Role
from core.timeutils import utcnow
from events.models import CheckinLog, CheckinResult, Event, EventStatus, Registration, RegistrationStatus
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user, outbox


def door_url(event: Event, page: str = "") -> str:
    return f"/beheer/check-in/{event.id}{page}"


def scan(client: FlaskClient, event: Event, code: str, nonce: str | None = None, **extra: object):  # noqa: ANN201
    body = {"code": code, "nonce": nonce or f"scan-nonce-{next(NONCES)}", **extra}
    return client.post(door_url(event, "/scan.json"), json=body)


NONCES = iter(range(10**6))


@pytest.fixture
def event() -> Event:
    return make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=30))


@pytest.fixture
def checkin_user(client: FlaskClient, event: Event):  # noqa: ANN201
    user = make_user(event.organisation, Role.CHECKIN, name="Vrijwilliger Vera")
    login(client, user)
    return user


def log_rows() -> list[CheckinLog]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CheckinLog).order_by(CheckinLog.id)))


def test_scanning_a_confirmed_ticket_checks_in_and_logs_it(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    registration = make_registration(event, name="Anna de Vries")
    response = scan(client, event, registration.checkin_code, scanned_at="2026-11-25T19:31:00+01:00",
                    device="Ingang links")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["result"] == "checked_in" and answer["headline"] == "Ingecheckt"
    assert "Anna de Vries" in answer["detail"]
    assert answer["counts"] == {"registered": 1, "checked_in": 1, "expected": 0}
    (log,) = log_rows()
    assert (log.result, log.registration_id, log.user_id, log.device) == (
        CheckinResult.CHECKED_IN, registration.id, checkin_user.id, "Ingang links")
    assert log.scanned_at.isoformat() == "2026-11-25T18:31:00+00:00" and log.received_at is not None
    db.session.refresh(registration)
    assert registration.checked_in_at == log.received_at and registration.checked_in_by_id == checkin_user.id


def test_second_scan_says_already_checked_in_at_what_time_by_whom(client: FlaskClient, event: Event,
                                                                  checkin_user) -> None:  # noqa: ANN001
    registration = make_registration(event)
    scan(client, event, registration.checkin_code)
    response = scan(client, event, registration.checkin_code)
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["result"] == "already_checked_in"
    assert re.search(r"om \d\d:\d\d door Vrijwilliger Vera", answer["detail"])
    assert [log.result for log in log_rows()] == [CheckinResult.CHECKED_IN, CheckinResult.ALREADY_CHECKED_IN]
    assert answer["counts"]["checked_in"] == 1


def test_a_retried_scan_with_the_same_nonce_is_answered_once_and_logged_once(client: FlaskClient, event: Event,
                                                                            checkin_user) -> None:  # noqa: ANN001
    registration = make_registration(event)
    first = scan(client, event, registration.checkin_code, nonce="retry-nonce-1")
    again = scan(client, event, registration.checkin_code, nonce="retry-nonce-1")
    assert first.status_code == again.status_code == 200
    assert again.get_json()["result"] == "checked_in"
    assert len(log_rows()) == 1


def test_a_nonce_reused_for_another_code_is_refused(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    one, other = make_registration(event), make_registration(event)
    scan(client, event, one.checkin_code, nonce="reused-nonce")
    response = scan(client, event, other.checkin_code, nonce="reused-nonce")
    assert response.status_code == 409 and "andere code" in response.get_json()["error"]
    assert len(log_rows()) == 1


@pytest.mark.parametrize(("status", "result", "headline"), [
    (RegistrationStatus.WAITLISTED, "waitlisted", "Staat op de wachtlijst"),
    (RegistrationStatus.CANCELLED, "cancelled", "Aanmelding geannuleerd"),
])
def test_waitlisted_and_cancelled_tickets_are_refused_with_the_reason(client: FlaskClient, event: Event, checkin_user,  # noqa: ANN001
                                                                      status: RegistrationStatus, result: str,
                                                                      headline: str) -> None:
    registration = make_registration(event, status=status)
    response = scan(client, event, registration.checkin_code)
    assert response.status_code == 409
    assert (response.get_json()["result"], response.get_json()["headline"]) == (result, headline)
    (log,) = log_rows()
    assert log.result == CheckinResult.REFUSED and log.refusal_reason.value == result
    db.session.refresh(registration)
    assert registration.checked_in_at is None


def test_ticket_of_another_event_and_a_forged_code_are_refused(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    elsewhere = make_registration(make_event(event.organisation))
    other = scan(client, event, elsewhere.checkin_code)
    forged = scan(client, event, "nep-code-123")
    assert other.status_code == forged.status_code == 404
    assert other.get_json()["headline"] == "Niet voor deze bijeenkomst"
    assert forged.get_json()["headline"] == "Onbekende code"
    assert [(log.refusal_reason.value, log.registration_id) for log in log_rows()] == [
        ("other_event", None), ("unknown_code", None)]
    db.session.refresh(elsewhere)
    assert elsewhere.checked_in_at is None


def test_after_the_end_only_an_organiser_may_check_in_and_it_is_flagged(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation, starts_at=utcnow() - timedelta(hours=5))
    registration = make_registration(event)
    login(client, make_user(organisation, Role.CHECKIN))
    refused = scan(client, event, registration.checkin_code)
    assert refused.status_code == 409 and refused.get_json()["result"] == "event_ended"
    client.post("/beheer/uitloggen")
    login(client, make_user(organisation, Role.ORGANISER))
    allowed = scan(client, event, registration.checkin_code)
    assert allowed.status_code == 200 and allowed.get_json()["flagged"] is True
    assert "gemarkeerd" in allowed.get_json()["detail"]
    assert [log.after_end for log in log_rows()] == [False, True]


def test_cancelled_event_refuses_every_ticket(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    registration = make_registration(event)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    response = scan(client, event, registration.checkin_code)
    assert response.status_code == 409 and response.get_json()["result"] == "event_cancelled"


@pytest.mark.parametrize("body", [
    {}, {"code": "", "nonce": "abcdefgh"}, {"code": "x", "nonce": "kort"}, {"code": "x", "nonce": "a b c d e f g"},
    {"code": ["x"], "nonce": "abcdefgh"}, {"code": "x", "nonce": "abcdefgh", "scanned_at": "gisteren"},
    {"code": "x", "nonce": "abcdefgh", "scanned_at": "2026-11-25T19:31:00"},
    {"code": "x" * 201, "nonce": "abcdefgh"},
])
def test_malformed_scans_are_a_400_and_log_nothing(client: FlaskClient, event: Event, checkin_user, body: dict) -> None:  # noqa: ANN001
    response = client.post(door_url(event, "/scan.json"), json=body)
    assert response.status_code == 400
    assert log_rows() == []


def test_typed_code_form_works_without_javascript(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    registration = make_registration(event, name="Bram Bakker")
    page = client.get(door_url(event)).get_data(as_text=True)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page)
    assert nonce, page
    response = client.post(door_url(event, "/scan"), data={"code": registration.checkin_code, "nonce": nonce.group(1)})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-result="checked_in"' in body and "Bram Bakker" in body
    resent = client.post(door_url(event, "/scan"), data={"code": registration.checkin_code, "nonce": nonce.group(1)})
    assert resent.status_code == 200 and len(log_rows()) == 1


def test_typed_form_without_a_code_says_so_next_to_the_field(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    response = client.post(door_url(event, "/scan"), data={"code": "  ", "nonce": "abcdefgh"})
    assert response.status_code == 400
    assert "Vul de code van het toegangsbewijs in." in response.get_data(as_text=True)
    assert log_rows() == []


def test_undo_clears_the_check_in_and_logs_it(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    registration = make_registration(event)
    scan(client, event, registration.checkin_code)
    undo_url = door_url(event, f"/aanmeldingen/{registration.id}/ongedaan")
    response = client.post(undo_url, data={"nonce": "undo-nonce-1"})
    assert response.status_code == 200 and 'data-result="undone"' in response.get_data(as_text=True)
    db.session.refresh(registration)
    assert registration.checked_in_at is None and registration.checked_in_by_id is None
    assert [log.result for log in log_rows()] == [CheckinResult.CHECKED_IN, CheckinResult.UNDONE]
    resent = client.post(undo_url, data={"nonce": "undo-nonce-1"})
    assert resent.status_code == 200 and len(log_rows()) == 2
    again = client.post(undo_url, data={"nonce": "undo-nonce-2"})
    assert again.status_code == 409 and "niet ingecheckt" in again.get_data(as_text=True)
    assert scan(client, event, registration.checkin_code).status_code == 200


def test_state_follows_from_the_log(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    """The cached columns agree with the last check-in or undo in the log."""
    people = [make_registration(event) for _ in range(3)]
    for person in people:
        scan(client, event, person.checkin_code)
    client.post(door_url(event, f"/aanmeldingen/{people[1].id}/ongedaan"), data={"nonce": "undo-nonce-x"})
    scan(client, event, people[0].checkin_code)  # already: changes nothing
    for person in people:
        changes = [log for log in log_rows() if log.registration_id == person.id
                   and log.result in (CheckinResult.CHECKED_IN, CheckinResult.UNDONE)]
        db.session.refresh(person)
        expected = changes[-1].received_at if changes[-1].result == CheckinResult.CHECKED_IN else None
        assert person.checked_in_at == expected


def test_search_answers_from_two_characters_and_never_fails(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    make_registration(event, name="Anna de Vries", email="anna@example.org")
    make_registration(event, name="Bram Bakker", email="bram@example.org")
    make_registration(make_event(event.organisation), name="Anna Anders")
    for term in ("", "a", " ", "%", "_"):
        response = client.get(door_url(event, "/zoek.json"), query_string={"q": term})
        assert response.status_code == 200
        if len(term.strip()) < 2:
            assert response.get_json() == {"message": "Typ minstens twee letters van een naam of e-mailadres.",
                                           "results": []}
    found = client.get(door_url(event, "/zoek.json"), query_string={"q": "ANN"}).get_json()
    assert [person["name"] for person in found["results"]] == ["Anna de Vries"]
    none = client.get(door_url(event, "/zoek.json"), query_string={"q": "%%"}).get_json()
    assert none["results"] == [] and "Niemand gevonden" in none["message"]
    page = client.get(door_url(event), query_string={"zoek": "b"}).get_data(as_text=True)
    assert "Typ minstens twee letters" in page
    page = client.get(door_url(event), query_string={"zoek": "bram"}).get_data(as_text=True)
    assert "Bram Bakker" in page and "Inchecken" in page


def test_live_counts(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    people = [make_registration(event) for _ in range(3)]
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    scan(client, event, people[0].checkin_code)
    assert client.get(door_url(event, "/tellingen.json")).get_json() == {
        "registered": 3, "checked_in": 1, "expected": 2}


def test_walk_in_is_registered_checked_in_and_mailed(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    response = client.post(door_url(event, "/binnenloop"),
                           data={"name": "Kees Inloop", "email": "Kees@Example.org", "nonce": "walk-in-1"})
    assert response.status_code == 200 and 'data-result="checked_in"' in response.get_data(as_text=True)
    registration = db.session.scalars(sa.select(Registration).where(Registration.email == "kees@example.org")).one()
    assert registration.status == RegistrationStatus.CONFIRMED and registration.checked_in_at is not None
    assert registration.added_by_id == checkin_user.id
    assert [mail.to_address for mail in outbox("registration_confirmed")] == ["kees@example.org"]
    resent = client.post(door_url(event, "/binnenloop"),
                         data={"name": "Kees Inloop", "email": "Kees@Example.org", "nonce": "walk-in-1"})
    assert resent.status_code == 200 and 'data-result="checked_in"' in resent.get_data(as_text=True)
    assert len(log_rows()) == 1 and len(outbox()) == 1


def test_walk_in_counts_against_capacity_and_organiser_may_go_over(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation, capacity=1, starts_at=utcnow() - timedelta(minutes=10))
    make_registration(event)
    login(client, make_user(organisation, Role.CHECKIN))
    full = client.post(door_url(event, "/binnenloop"),
                       data={"name": "Kees", "email": "kees@example.org", "nonce": "walk-in-2"})
    assert full.status_code == 409 and "vol" in full.get_data(as_text=True)
    sneaky = client.post(door_url(event, "/binnenloop"), data={"name": "Kees", "email": "kees@example.org",
                                                                "nonce": "walk-in-3", "over_capacity": "y"})
    assert sneaky.status_code == 409 and "Alleen een organisator" in sneaky.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    assert outbox() == [] and log_rows() == []
    client.post("/beheer/uitloggen")
    login(client, make_user(organisation, Role.ORGANISER))
    allowed = client.post(door_url(event, "/binnenloop"), data={"name": "Kees", "email": "kees@example.org",
                                                                 "nonce": "walk-in-4", "over_capacity": "y"})
    assert allowed.status_code == 200
    confirmed = sa.select(sa.func.count()).where(Registration.status == RegistrationStatus.CONFIRMED)
    assert db.session.scalar(confirmed) == 2


def test_walk_in_of_someone_already_registered_points_to_the_search(client: FlaskClient, event: Event,
                                                                    checkin_user) -> None:  # noqa: ANN001
    make_registration(event, email="anna@example.org")
    response = client.post(door_url(event, "/binnenloop"),
                           data={"name": "Anna", "email": "anna@example.org", "nonce": "walk-in-5"})
    assert response.status_code == 409 and "al aangemeld" in response.get_data(as_text=True)
    invalid = client.post(door_url(event, "/binnenloop"), data={"name": "", "email": "geen", "nonce": "walk-in-6"})
    assert invalid.status_code == 400


def test_checkin_pages_need_check_in_in_the_events_organisation(client: FlaskClient, event: Event) -> None:
    registration = make_registration(event)
    login(client, make_user(event.organisation, Role.COMMUNICATIONS))
    assert client.get(door_url(event)).status_code == 403
    client.post("/beheer/uitloggen")
    login(client, make_user(make_organisation(), Role.CHECKIN))
    for method, page in [("GET", ""), ("POST", "/scan"), ("POST", "/scan.json"), ("GET", "/zoek.json"),
                         ("GET", "/tellingen.json"), ("GET", "/binnenloop"),
                         ("POST", f"/aanmeldingen/{registration.id}/ongedaan")]:
        response = client.open(door_url(event, page), method=method,
                               json={"code": registration.checkin_code, "nonce": "abcdefgh"})
        assert response.status_code == 404, page
    assert log_rows() == []
    index = client.get("/beheer/check-in/").get_data(as_text=True)
    assert event.title not in index


def test_index_lists_todays_events_of_the_users_organisations(client: FlaskClient, event: Event, checkin_user) -> None:  # noqa: ANN001
    page = client.get("/beheer/check-in/")
    assert page.status_code == 200 and event.title in page.get_data(as_text=True)
    door = client.get(door_url(event)).get_data(as_text=True)
    assert "<script>" not in door and 'src="/static/js/checkin.js"' in door
