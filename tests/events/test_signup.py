"""Public sign-up: seats, waiting list, duplicates, closed events and bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.timeutils import utcnow
from events.models import Audience, EventStatus, Question, QuestionKind, Registration, RegistrationStatus
from extensions import db
from tests.factories import make_event, make_organisation, make_registration, outbox, signup_url


def person(n: int = 1, **extra: str) -> dict[str, str]:
    return {"name": f"Anna de Vries {n}", "email": f"anna{n}@example.org"} | extra


def registrations(event_id: int) -> list[Registration]:
    db.session.expire_all()
    query = sa.select(Registration).where(Registration.event_id == event_id).order_by(Registration.id)
    return list(db.session.scalars(query))


def test_signups_fill_the_seats_then_the_waiting_list(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=2, waitlist_enabled=True)
    for n in range(3):
        response = client.post(signup_url(event), data=person(n))
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/aangemeld")
    statuses = [r.status for r in registrations(event.id)]
    assert statuses == [RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    assert [m.template for m in outbox()] == ["registration_confirmed"] * 2 + ["registration_waitlisted"]


def test_full_event_without_waiting_list_refuses_with_409(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=1, waitlist_enabled=False)
    client.post(signup_url(event), data=person(1))
    response = client.post(signup_url(event), data=person(2))
    assert response.status_code == 409
    assert "vol" in response.get_data(as_text=True)
    assert len(registrations(event.id)) == 1


def test_detail_page_shows_seats_left_waitlist_or_full(client: FlaskClient) -> None:
    organisation = make_organisation()
    open_event = make_event(organisation, capacity=3)
    make_registration(open_event)
    waitlist_event = make_event(organisation, capacity=1, waitlist_enabled=True)
    make_registration(waitlist_event)
    full_event = make_event(organisation, capacity=1, waitlist_enabled=False)
    make_registration(full_event)
    assert "Nog 2 plaatsen" in client.get(signup_url(open_event)).get_data(as_text=True)
    assert "wachtlijst" in client.get(signup_url(waitlist_event)).get_data(as_text=True)
    full_page = client.get(signup_url(full_event)).get_data(as_text=True)
    assert "Deze bijeenkomst is vol." in full_page
    assert "<form method=\"post\" novalidate" not in full_page


def test_same_email_twice_takes_no_second_seat_and_shows_the_same_page(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=5)
    first = client.post(signup_url(event), data=person(1), follow_redirects=True)
    second = client.post(signup_url(event), data=person(1), follow_redirects=True)
    client.post(signup_url(event), data=person(1, email="  ANNA1@Example.org "))
    assert first.status_code == second.status_code == 200
    assert first.get_data(as_text=True) == second.get_data(as_text=True)
    assert len(registrations(event.id)) == 1
    resent = outbox("already_registered")
    assert len(resent) == 2 and "/aanmelding/" in resent[0].text_body


def test_cancelled_person_may_sign_up_again(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=5)
    make_registration(event, email="anna1@example.org", status=RegistrationStatus.CANCELLED)
    assert client.post(signup_url(event), data=person(1)).status_code == 302
    assert [r.status for r in registrations(event.id)] == [RegistrationStatus.CANCELLED, RegistrationStatus.CONFIRMED]


@pytest.mark.parametrize(
    ("event_fields", "status", "message"),
    [
        ({"registration_closes_at": utcnow() - timedelta(hours=1)}, 409, "Aanmelden is gesloten."),
        ({"registration_opens_at": utcnow() + timedelta(days=1)}, 409, "Aanmelden is nog niet geopend."),
        ({"starts_at": utcnow() - timedelta(minutes=30)}, 409, "Aanmelden is gesloten."),
        ({"status": EventStatus.CANCELLED, "cancellation_reason": "Spreker ziek."}, 409, "gaat niet door"),
        ({"status": EventStatus.DRAFT}, 404, ""),
    ],
    ids=["closed", "not-yet-open", "already-started", "cancelled", "draft"],
)
def test_signup_refused_when_registration_is_not_open(
    client: FlaskClient, event_fields: dict, status: int, message: str
) -> None:
    event = make_event(make_organisation(), **event_fields)
    response = client.post(signup_url(event), data=person(1))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert registrations(event.id) == []
    assert outbox() == []


def _event_with_questions() -> tuple[int, str, dict[str, int]]:
    event = make_event(make_organisation(), audience=Audience.SMES)
    questions = {
        "role": Question(event=event, label="Uw functie", kind=QuestionKind.SHORT_TEXT, required=True),
        "size": Question(event=event, label="Aantal medewerkers", kind=QuestionKind.SINGLE_CHOICE,
                         options=["1-9", "10-49", "50+"], required=True),
        "topics": Question(event=event, label="Onderwerpen", kind=QuestionKind.MULTIPLE_CHOICE,
                           options=["Phishing", "Back-ups"]),
        "consent": Question(event=event, label="Foto's mogen", kind=QuestionKind.CHECKBOX),
    }
    db.session.add_all(questions.values())
    db.session.commit()
    return event.id, signup_url(event), {key: q.id for key, q in questions.items()}


def valid_sme_signup(ids: dict[str, int]) -> dict[str, object]:
    return person(1, company_name="Bakkerij Jansen") | {
        f"question_{ids['role']}": "Eigenaar",
        f"question_{ids['size']}": "1-9",
        f"question_{ids['topics']}": ["Phishing", "Back-ups"],
        f"question_{ids['consent']}": "y",
    }


def test_answers_to_custom_questions_are_stored(client: FlaskClient) -> None:
    event_id, url, ids = _event_with_questions()
    assert client.post(url, data=valid_sme_signup(ids)).status_code == 302
    (registration,) = registrations(event_id)
    assert registration.company_name == "Bakkerij Jansen"
    assert registration.answers == {
        str(ids["role"]): "Eigenaar",
        str(ids["size"]): "1-9",
        str(ids["topics"]): ["Phishing", "Back-ups"],
        str(ids["consent"]): True,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Vul uw naam in."),
        ({"name": "   "}, "Vul uw naam in."),
        ({"name": "\t \u00a0\n"}, "Vul uw naam in."),
        ({"name": "x" * 201}, "200"),
        ({"email": "geen-adres"}, "Dit is geen geldig e-mailadres."),
        ({"email": ""}, "Vul uw e-mailadres in."),
        ({"company_name": ""}, "Vul de naam van uw bedrijf in."),
        ({"company_name": "  "}, "Vul de naam van uw bedrijf in."),
        ({"phone": "bel me maar"}, "Gebruik alleen cijfers"),
        ({"question_role": ""}, "Dit veld is verplicht."),
        ({"question_role": "    "}, "Dit veld is verplicht."),
        ({"question_role": "x" * 301}, "300"),
        ({"question_size": "1000+"}, "Kies een van de aangeboden mogelijkheden."),
        ({"question_topics": ["Phishing", "Crypto"]}, "Kies een van de aangeboden mogelijkheden."),
    ],
    ids=lambda value: str(value)[:30],
)
def test_invalid_signup_is_refused_next_to_the_field_and_stores_nothing(
    client: FlaskClient, change: dict[str, object], message: str
) -> None:
    event_id, url, ids = _event_with_questions()
    data = valid_sme_signup(ids)
    for key, value in change.items():
        field_name = f"question_{ids[key.removeprefix('question_')]}" if key.startswith("question_") else key
        data[field_name] = value
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "utrecht-form-field-error-message" in response.get_data(as_text=True)
    assert registrations(event_id) == []
    assert outbox() == []


def test_honeypot_filled_looks_like_success_but_stores_nothing(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    response = client.post(signup_url(event), data=person(1, website="http://spam.example"))
    assert response.status_code == 302
    assert registrations(event.id) == []


def test_line_breaks_in_the_name_never_reach_a_mail_header(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    client.post(signup_url(event), data=person(1, name="Anna\r\nBcc: victim@example.org"))
    (message,) = outbox()
    assert "\n" not in message.to_name and "\r" not in message.to_name
    assert registrations(event.id)[0].name == "Anna Bcc: victim@example.org"


def test_confirmation_mail_has_manage_link_and_calendar_file(client: FlaskClient) -> None:
    event = make_event(make_organisation(), title="Phishing, herkennen; en voorkomen")
    client.post(signup_url(event), data=person(1))
    (message,) = outbox("registration_confirmed")
    assert message.to_address == "anna1@example.org"
    assert message.from_address == event.organisation.mail_from_address
    assert "http://localhost/aanmelding/" in message.text_body and "/aanmelding/" in message.html_body
    (calendar,) = [part for part in message.attachments if not part.content_id]  # the QR ticket is inline
    assert calendar.content_type.startswith("text/calendar")
    text = calendar.data.decode()
    assert "SUMMARY:Phishing\\, herkennen\\; en voorkomen\r\n" in text
    assert f"DTSTART:{event.starts_at:%Y%m%dT%H%M%SZ}\r\n" in text


def test_wrong_slug_redirects_and_unknown_event_is_404(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    response = client.get(f"/evenementen/{event.id}/oude-titel")
    assert response.status_code == 301 and response.headers["Location"].endswith(signup_url(event))
    assert client.get("/evenementen/999999/niets").status_code == 404


@pytest.mark.postgres_only
def test_sign_up_waiting_too_long_for_the_lock_answers_busy_and_stores_nothing(app: Flask) -> None:
    event = make_event(make_organisation())
    app.config["LOCK_TIMEOUT_SECONDS"] = 1
    blocker = db.engine.connect()
    transaction = blocker.begin()
    blocker.execute(sa.text("SELECT id FROM events WHERE id = :id FOR UPDATE"), {"id": event.id})
    try:
        response = app.test_client().post(signup_url(event), data=person(1))
    finally:
        transaction.rollback()
        blocker.close()
    assert response.status_code == 503
    assert "Probeer het over een paar seconden opnieuw" in response.get_data(as_text=True)
    assert 'value="Anna de Vries 1"' in response.get_data(as_text=True)
    assert registrations(event.id) == []
