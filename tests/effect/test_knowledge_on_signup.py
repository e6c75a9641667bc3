"""The knowledge check "before" asked on the sign-up form itself, where the organiser enabled it:
optional for the person, stored as "before" and paired with the evaluation's "after"."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.timeutils import utcnow
from effect.tokens import mint_evaluation
from events.models import Event, Registration
from extensions import db
from tests.effect.helpers import KNOWLEDGE_KEYS, RIGHT, WRONG, evaluation_answers, responses, with_settings
from tests.factories import make_event, make_organisation, outbox


def knowledge(answers: dict[str, int]) -> dict[str, str]:
    return {f"knowledge_{key}": str(option) for key, option in answers.items()}


def signup_url(event: Event) -> str:
    return f"/evenementen/{event.id}/{event.slug}"


def person(n: int = 1) -> dict[str, str]:
    return {"name": f"Anna {n}", "email": f"anna{n}@example.org"}


def registration_of(email: str) -> Registration:
    db.session.expire_all()
    return db.session.scalars(sa.select(Registration).where(Registration.email == email)).one()


def upcoming_with_check() -> Event:
    event = make_event(make_organisation(), starts_at=utcnow() + timedelta(days=3))
    with_settings(event, knowledge_questions=KNOWLEDGE_KEYS)
    return event


def test_only_an_event_with_a_check_asks_it_on_the_sign_up_form(client: FlaskClient) -> None:
    plain = make_event(make_organisation())
    assert "Wat doet tweestapsverificatie?" not in client.get(signup_url(plain)).get_data(as_text=True)
    page = client.get(signup_url(upcoming_with_check())).get_data(as_text=True)
    assert "Wat doet tweestapsverificatie?" in page and "niet verplicht" in page


def test_answers_on_the_sign_up_form_are_stored_as_before_and_pair_with_after(app: Flask,
                                                                             client: FlaskClient) -> None:
    event = upcoming_with_check()
    assert client.post(signup_url(event), data=person() | knowledge(WRONG)).status_code == 302
    registration = registration_of("anna1@example.org")
    (response,) = responses()
    assert response.registration_id == registration.id and response.knowledge_before == WRONG
    assert len(outbox("registration_confirmed")) == 1

    event.starts_at, event.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    registration.checked_in_at = event.starts_at
    db.session.commit()
    link = mint_evaluation({"registration": registration.id}).removeprefix("http://localhost")
    assert client.post(link, data=evaluation_answers() | knowledge(RIGHT)).status_code == 302
    (response,) = responses()
    assert (response.knowledge_before, response.knowledge_after) == (WRONG, RIGHT)


def test_skipping_the_questions_signs_up_and_stores_no_answers(client: FlaskClient) -> None:
    event = upcoming_with_check()
    assert client.post(signup_url(event), data=person()).status_code == 302
    assert responses() == []
    partly = knowledge({"two_step": 1})
    assert client.post(signup_url(event), data=person(2) | partly).status_code == 302
    assert [response.knowledge_before for response in responses()] == [{"two_step": 1}]


def test_an_answer_not_offered_is_refused_in_dutch_and_nothing_is_stored(client: FlaskClient) -> None:
    event = upcoming_with_check()
    page = client.post(signup_url(event), data=person() | {"knowledge_two_step": "9"})
    assert page.status_code == 400 and "Kies een van de aangeboden mogelijkheden." in page.get_data(as_text=True)
    assert responses() == [] and outbox() == []


def test_signing_up_again_does_not_overwrite_the_first_answers(client: FlaskClient) -> None:
    event = upcoming_with_check()
    client.post(signup_url(event), data=person() | knowledge(WRONG))
    client.post(signup_url(event), data=person() | knowledge(RIGHT))
    (response,) = responses()
    assert response.knowledge_before == WRONG
