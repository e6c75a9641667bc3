"""The evaluation after a session: a one-time link in the thank-you mail, one answer, Dutch refusals."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.tokens import sign
from effect import tokens
from effect.tokens import mint_evaluation
from tests.effect.helpers import (
    KNOWLEDGE_KEYS,
    RIGHT,
    attendee,
    evaluation_answers,
    held_event,
    link_in,
    responses,
    tick,
    with_settings,
)
from tests.factories import make_registration, outbox


def test_the_thank_you_mail_carries_a_link_that_is_never_stored_and_works_once(app: Flask, client: FlaskClient) -> None:
    event = held_event()
    person = attendee(event)
    tick(app)
    (stored,) = outbox("followup_attended")
    assert "/vragenlijst/" not in stored.text_body + stored.html_body
    link = link_in("followup_attended", person.email, "vragenlijst")

    page = client.get(link)
    assert page.status_code == 200 and "Hoe tevreden bent u" in page.get_data(as_text=True)
    assert client.post(link, data=evaluation_answers()).status_code == 302
    (response,) = responses()
    assert (response.satisfaction, response.usefulness, response.intentions) == (4, 5, ["two_step", "backups"])
    assert response.registration_id == person.id and response.event_id == event.id

    again = client.post(link, data=evaluation_answers(satisfaction="1", comment="Tweede keer"))
    assert again.status_code == 409 and "al ingevuld" in again.get_data(as_text=True)
    assert client.get(link).status_code == 409
    (response,) = responses()
    assert (response.satisfaction, response.comment) == (4, "Goed verteld")


def test_a_person_who_did_not_attend_gets_no_link_and_a_minted_one_is_refused(app: Flask, client: FlaskClient) -> None:
    event = held_event()
    attendee(event)
    absent = make_registration(event)
    tick(app)
    (missed,) = outbox("followup_no_show")
    assert missed.secret_link is None and "vragenlijst" not in missed.text_body.lower()

    link = mint_evaluation({"registration": absent.id}).removeprefix("http://localhost")
    refused = client.post(link, data=evaluation_answers())
    assert refused.status_code == 403 and "alleen voor wie bij de bijeenkomst was" in refused.get_data(as_text=True)
    assert responses() == []


def test_forged_and_expired_links_get_a_dutch_page_and_store_nothing(app: Flask, client: FlaskClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    event = held_event()
    person = attendee(event)
    link = mint_evaluation({"registration": person.id}).removeprefix("http://localhost")
    forged = client.post(link[:-3] + "abc", data=evaluation_answers())
    assert forged.status_code == 404 and "klopt niet" in forged.get_data(as_text=True)
    other_purpose = sign(tokens.FOLLOWUP_SALT, {"r": person.id})
    assert client.post(f"/vragenlijst/{other_purpose}", data=evaluation_answers()).status_code == 404
    monkeypatch.setattr(tokens, "MAX_AGE_SECONDS", -1)
    expired = client.post(link, data=evaluation_answers())
    assert expired.status_code == 410 and "verlopen" in expired.get_data(as_text=True)
    assert responses() == []


@pytest.mark.parametrize(("answers", "message"), [
    (evaluation_answers(satisfaction=""), "Kies een antwoord."),
    (evaluation_answers(satisfaction="7"), "Kies een van de aangeboden mogelijkheden."),
    (evaluation_answers(usefulness="drie"), "Kies een van de aangeboden mogelijkheden."),
    (evaluation_answers(intentions=["two_step", "incident_plan"]), "Kies een van de aangeboden mogelijkheden."),
    (evaluation_answers(comment="x" * 10_000), "Gebruik hoogstens 2000 tekens."),
    (evaluation_answers(experienced=["phishing"]), "Vink eerst aan"),
])
def test_bad_answers_get_a_dutch_message_and_store_nothing(app: Flask, client: FlaskClient,
                                                           answers: dict[str, object], message: str) -> None:
    person = attendee(held_event())
    link = mint_evaluation({"registration": person.id}).removeprefix("http://localhost")
    page = client.post(link, data=answers)
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    assert responses() == []


def test_the_knowledge_check_and_experience_questions_are_stored_with_their_consent(app: Flask, client: FlaskClient) -> None:
    event = held_event()
    with_settings(event, knowledge_questions=KNOWLEDGE_KEYS)
    person = attendee(event)
    link = mint_evaluation({"registration": person.id}).removeprefix("http://localhost")
    knowledge = {f"knowledge_{key}": str(option) for key, option in RIGHT.items()}
    without = client.post(link, data=evaluation_answers())
    assert without.status_code == 400  # the knowledge questions are part of the form now
    answers = evaluation_answers(experience_consent="y", experienced=["phishing", "webshop_fraud"], reported=["bank"],
                                 **knowledge)
    assert client.post(link, data=answers).status_code == 302
    (response,) = responses()
    assert response.knowledge_after == RIGHT
    assert (response.experience_consent, response.experienced, response.reported) == (
        True, ["phishing", "webshop_fraud"], ["bank"])


def test_an_organiser_can_switch_the_evaluation_off_and_the_mail_keeps_its_reply_question(
        app: Flask, client: FlaskClient) -> None:
    event = held_event()
    with_settings(event, evaluation_enabled=False)
    person = attendee(event)
    tick(app)
    (thanks,) = outbox("followup_attended")
    assert thanks.secret_link is None and "cijfer van 1 tot 10" in thanks.text_body
    link = mint_evaluation({"registration": person.id}).removeprefix("http://localhost")
    assert client.get(link).status_code == 403
