"""What a person does through the manage link: cancel in two steps, correct their own details."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.timeutils import utcnow
from events.models import Audience, Question, QuestionKind, Registration, RegistrationStatus
from events.tokens import manage_token
from extensions import db
from tests.factories import make_event, make_organisation, make_registration, outbox


def manage_path(registration: Registration) -> str:
    return f"/aanmelding/{manage_token(registration)}"


def fresh(registration: Registration) -> Registration:
    db.session.expire_all()
    return db.session.get_one(Registration, registration.id)


# --- cancelling asks first ------------------------------------------------------------------------

def test_the_manage_page_links_to_a_confirmation_page_not_a_one_click_button(client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()))
    page = client.get(manage_path(registration)).get_data(as_text=True)
    assert re.search(r'href="/aanmelding/[^"/]+/annuleren"', page)
    assert 'action="/aanmelding/' not in page  # no form on the manage page posts a cancellation
    confirm = client.get(manage_path(registration) + "/annuleren")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Weet u zeker" in text and "Ja, aanmelding annuleren" in text and 'name="confirmed"' in text
    assert fresh(registration).status == RegistrationStatus.CONFIRMED  # a GET cancels nothing


@pytest.mark.parametrize("data", [{}, {"confirmed": ""}, {"confirmed": "nee"}], ids=["empty", "blank", "other"])
def test_a_stray_post_without_the_confirmation_cancels_nothing(client: FlaskClient, data: dict[str, str]) -> None:
    registration = make_registration(make_event(make_organisation()))
    response = client.post(manage_path(registration) + "/annuleren", data=data)
    assert response.status_code == 400
    assert "Bevestig dat u wilt annuleren." in response.get_data(as_text=True)
    assert fresh(registration).status == RegistrationStatus.CONFIRMED
    assert outbox() == []


def test_the_confirmed_post_cancels(client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()))
    path = manage_path(registration)
    response = client.post(path + "/annuleren", data={"confirmed": "ja"})
    assert response.status_code == 302 and response.headers["Location"] == path
    assert fresh(registration).status == RegistrationStatus.CANCELLED
    assert [m.template for m in outbox()] == ["registration_cancelled"]


def test_the_confirmation_post_needs_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()))
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(manage_path(registration) + "/annuleren", data={"confirmed": "ja"})
    assert response.status_code == 400
    assert fresh(registration).status == RegistrationStatus.CONFIRMED


def test_a_cancelled_registration_goes_back_to_its_page(client: FlaskClient) -> None:
    registration = make_registration(make_event(make_organisation()), status=RegistrationStatus.CANCELLED)
    response = client.get(manage_path(registration) + "/annuleren")
    assert response.status_code == 302


# --- correcting one's own details -----------------------------------------------------------------

@pytest.fixture
def registration() -> Registration:
    event = make_event(make_organisation(), audience=Audience.SMES)
    event.questions.append(Question(label="Wat wilt u leren?", kind=QuestionKind.SHORT_TEXT))
    db.session.commit()
    return make_registration(event, name="Anna de Vries", company_name="Bakkerij", phone="030 123 4567",
                             answers={str(event.questions[0].id): "Phishing", "999": "weggehaald"})


def details(registration: Registration, **overrides: str) -> dict[str, str]:
    question_id = registration.event.questions[0].id
    return {"name": "Anna de Vries-Bakker", "company_name": "Bakkerij De Korenbloem", "phone": "+31 6 1234 5678",
            f"question_{question_id}": "Back-ups"} | overrides


def test_the_form_shows_what_is_stored_and_saves_the_corrections(client: FlaskClient,
                                                                  registration: Registration) -> None:
    page = client.get(manage_path(registration) + "/wijzigen")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="Anna de Vries"' in text and 'value="Phishing"' in text and 'value="Bakkerij"' in text
    assert "kunt u hier niet wijzigen" in text and registration.email in text

    response = client.post(manage_path(registration) + "/wijzigen", data=details(registration))
    assert response.status_code == 302
    saved = fresh(registration)
    question_id = str(saved.event.questions[0].id)
    assert (saved.name, saved.company_name, saved.phone) == ("Anna de Vries-Bakker", "Bakkerij De Korenbloem",
                                                             "+31 6 1234 5678")
    assert saved.answers == {question_id: "Back-ups", "999": "weggehaald"}  # a removed question's answer stays
    assert saved.email == registration.email and saved.status == RegistrationStatus.CONFIRMED
    assert "Uw gegevens zijn opgeslagen." in client.get(manage_path(registration)).get_data(as_text=True)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": ""}, "Vul uw naam in."),
    ({"name": "x" * 201}, "200"),
    ({"phone": "bel me maar"}, "Gebruik alleen cijfers, spaties, + en -."),
    ({"company_name": ""}, "Vul de naam van uw bedrijf in."),
], ids=["no-name", "long-name", "bad-phone", "no-company"])
def test_bad_details_get_a_dutch_message_and_change_nothing(client: FlaskClient, registration: Registration,
                                                            overrides: dict[str, str], message: str) -> None:
    response = client.post(manage_path(registration) + "/wijzigen", data=details(registration, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert fresh(registration).name == "Anna de Vries"


def test_an_email_field_in_the_post_is_ignored(client: FlaskClient, registration: Registration) -> None:
    client.post(manage_path(registration) + "/wijzigen", data=details(registration, email="ander@example.org"))
    assert fresh(registration).email == registration.email


def test_after_registration_closes_details_cannot_change(client: FlaskClient, registration: Registration) -> None:
    registration.event.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "Gegevens wijzigen" not in client.get(manage_path(registration)).get_data(as_text=True)
    response = client.post(manage_path(registration) + "/wijzigen", data=details(registration))
    assert response.status_code == 409 and "Aanmelden is gesloten" in response.get_data(as_text=True)
    assert fresh(registration).name == "Anna de Vries"


def test_a_cancelled_registration_cannot_be_edited(client: FlaskClient, registration: Registration) -> None:
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    response = client.post(manage_path(registration) + "/wijzigen", data=details(registration))
    assert response.status_code == 409
    assert fresh(registration).name == "Anna de Vries"


def test_a_forged_link_edits_nothing(client: FlaskClient, registration: Registration) -> None:
    assert client.post("/aanmelding/nonsense/wijzigen", data=details(registration)).status_code == 404
    assert client.get("/aanmelding/nonsense/annuleren").status_code == 404


def test_editing_and_cancelling_are_rate_limited(app_with: Callable[..., Flask], registration: Registration) -> None:
    client = app_with(RATELIMIT_ENABLED=True, MANAGE_RATE_LIMIT="2 per minute").test_client()
    path = manage_path(registration) + "/wijzigen"
    codes = [client.post(path, data=details(registration, name=f"Anna {n}")).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    cancel = manage_path(registration) + "/annuleren"  # its own budget
    assert [client.post(cancel).status_code for _ in range(2)] == [400, 400]
    assert client.post(cancel, data={"confirmed": "ja"}).status_code == 429
