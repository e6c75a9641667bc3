"""The follow-up survey: sent once by the tick after the chosen time, to those who meant to act."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from core.timeutils import utcnow
from effect import services
from effect.tokens import mint_evaluation, mint_followup
from extensions import db
from tests.effect.helpers import attendee, evaluation_answers, held_event, link_in, responses, tick, with_settings
from tests.factories import outbox


def evaluated(client: FlaskClient, days_ago: float, intentions: list[str], **settings: object) -> tuple[str, int]:
    event = held_event(hours_ago=days_ago * 24)
    if settings:
        with_settings(event, **settings)
    person = attendee(event)
    link = mint_evaluation({"registration": person.id}).removeprefix("http://localhost")
    assert client.post(link, data=evaluation_answers(intentions=intentions)).status_code == 302
    return person.email, person.id


def test_running_the_tick_twice_sends_the_survey_once(app: Flask, client: FlaskClient) -> None:
    due, _ = evaluated(client, days_ago=92, intentions=["two_step", "backups"])
    evaluated(client, days_ago=40, intentions=["two_step"])  # not yet: three months by default
    evaluated(client, days_ago=92, intentions=[])  # meant to do nothing: nothing to ask
    early, _ = evaluated(client, days_ago=40, intentions=["updates"], followup_days=30)

    assert "Vervolgvragen: 2" in tick(app)
    assert "Vervolgvragen: 0" in tick(app)
    assert sorted(mail.to_address for mail in outbox("effect_followup_survey")) == sorted([due, early])
    (stored, _other) = outbox("effect_followup_survey")
    assert "/vervolgvraag/" not in stored.text_body + (stored.html_body or "")


def test_the_survey_asks_about_the_intended_measures_and_takes_one_answer(app: Flask, client: FlaskClient) -> None:
    email, _ = evaluated(client, days_ago=92, intentions=["two_step", "backups"])
    tick(app)
    link = link_in("effect_followup_survey", email, "vervolgvraag")
    page = client.get(link).get_data(as_text=True)
    assert "Tweestapsverificatie" in page and "wachtwoordmanager" not in page
    assert client.post(link, data={"actions": ["password_manager"]}).status_code == 400
    assert client.post(link, data={"actions": ["two_step"]}).status_code == 302
    again = client.post(link, data={"actions": ["two_step", "backups"]})
    assert again.status_code == 409 and "al ingevuld" in again.get_data(as_text=True)
    (response,) = responses()
    assert response.actions == ["two_step"] and response.followed_up_at is not None


def test_a_survey_link_before_the_survey_went_out_or_forged_stores_nothing(app: Flask, client: FlaskClient) -> None:
    evaluated(client, days_ago=2, intentions=["two_step"])
    (response,) = responses()
    early = mint_followup({"response": response.id}).removeprefix("http://localhost")
    assert client.post(early, data={"actions": ["two_step"]}).status_code == 403
    assert client.post(early[:-2] + "xx", data={"actions": ["two_step"]}).status_code == 404
    assert client.get(mint_followup({"response": 999_999}).removeprefix("http://localhost")).status_code == 404
    assert responses()[0].followed_up_at is None


def test_a_response_cut_from_its_registration_gets_no_survey(app: Flask, client: FlaskClient) -> None:
    evaluated(client, days_ago=92, intentions=["two_step"])
    (response,) = responses()
    response.registration_id = None
    db.session.commit()
    assert services.followup_candidates(utcnow()) == []
    assert services.send_followup(response.id, utcnow()) is False
    assert outbox("effect_followup_survey") == []


def test_the_survey_is_not_sent_long_after_it_was_due(app: Flask, client: FlaskClient) -> None:
    evaluated(client, days_ago=91 + 31, intentions=["two_step"])
    assert services.followup_candidates(utcnow()) == []
