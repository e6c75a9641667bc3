"""The knowledge check before the session, from the registration's own page; paired with the one after."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from core.timeutils import utcnow
from effect.tokens import mint_evaluation
from events.models import RegistrationStatus
from events.tokens import manage_token
from tests.effect.helpers import KNOWLEDGE_KEYS, RIGHT, WRONG, attendee, evaluation_answers, responses, with_settings
from tests.factories import make_event, make_organisation, make_registration


def knowledge(answers: dict[str, int]) -> dict[str, str]:
    return {f"knowledge_{key}": str(option) for key, option in answers.items()}


def test_the_manage_page_offers_the_check_before_and_its_answers_pair_with_the_ones_after(
        app: Flask, client: FlaskClient) -> None:
    event = make_event(make_organisation(), starts_at=utcnow() + timedelta(days=3))
    with_settings(event, knowledge_questions=KNOWLEDGE_KEYS)
    person = make_registration(event)
    token = manage_token(person)
    manage = client.get(f"/aanmelding/{token}").get_data(as_text=True)
    assert f"/aanmelding/{token}/kennisvragen" in manage

    check = f"/aanmelding/{token}/kennisvragen"
    assert "Wat doet tweestapsverificatie?" in client.get(check).get_data(as_text=True)
    assert client.post(check, data=knowledge(WRONG)).status_code == 302
    again = client.post(check, data=knowledge(RIGHT))
    assert again.status_code == 409 and "al beantwoord" in again.get_data(as_text=True)
    assert f"/aanmelding/{token}/kennisvragen" not in client.get(f"/aanmelding/{token}").get_data(as_text=True)

    event.starts_at, event.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    person.checked_in_at = event.starts_at
    app.extensions["sqlalchemy"].session.commit()
    link = mint_evaluation({"registration": person.id}).removeprefix("http://localhost")
    assert client.post(link, data=evaluation_answers(**knowledge(RIGHT))).status_code == 302
    (response,) = responses()
    assert (response.knowledge_before, response.knowledge_after) == (WRONG, RIGHT)


def test_the_check_before_is_closed_once_the_session_began_and_without_questions(app: Flask, client: FlaskClient) -> None:
    begun = make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=10))
    with_settings(begun, knowledge_questions=KNOWLEDGE_KEYS)
    late = attendee(begun)
    refused = client.post(f"/aanmelding/{manage_token(late)}/kennisvragen", data=knowledge(RIGHT))
    assert refused.status_code == 403 and "vóór de bijeenkomst" in refused.get_data(as_text=True)

    plain = make_event(make_organisation())
    no_check = make_registration(plain)
    assert client.get(f"/aanmelding/{manage_token(no_check)}/kennisvragen").status_code == 403
    cancelled = make_registration(begun, status=RegistrationStatus.CANCELLED)
    assert client.get(f"/aanmelding/{manage_token(cancelled)}/kennisvragen").status_code == 403
    assert client.get("/aanmelding/vervalst/kennisvragen").status_code == 404
    assert responses() == []


def test_a_missing_or_unknown_answer_is_a_dutch_400(app: Flask, client: FlaskClient) -> None:
    event = make_event(make_organisation(), starts_at=utcnow() + timedelta(days=3))
    with_settings(event, knowledge_questions=KNOWLEDGE_KEYS)
    check = f"/aanmelding/{manage_token(make_registration(event))}/kennisvragen"
    missing = client.post(check, data=knowledge({"bank_sms": 1, "two_step": 1}))
    assert missing.status_code == 400 and "Kies een antwoord." in missing.get_data(as_text=True)
    unknown = client.post(check, data=knowledge(RIGHT | {"two_step": 9}))
    assert unknown.status_code == 400 and "Kies een van de aangeboden mogelijkheden." in unknown.get_data(as_text=True)
    assert responses() == []
