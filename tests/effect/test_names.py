"""Asking for names in the evaluation: off by default; when on, the form and the privacy statement say
so, and the names are personal data (exported, erased, blanked at the retention purge)."""
from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from effect import services
from effect.tokens import mint_evaluation
from extensions import db
from tests.effect.helpers import attendee, evaluation_answers, held_event, responses, with_settings
from tests.effect.test_settings import FORM
from tests.factories import login, make_organisation, make_user


def evaluation_link(registration_id: int) -> str:
    return mint_evaluation({"registration": registration_id}).removeprefix("http://localhost")


def test_by_default_no_name_is_asked_and_a_posted_one_is_not_stored(app: Flask, client: FlaskClient) -> None:
    event = held_event()
    assert services.settings_for(event).ask_names is False
    link = evaluation_link(attendee(event).id)
    page = client.get(link).get_data(as_text=True)
    assert "Uw naam" not in page and "om uw naam" not in page
    assert client.post(link, data=evaluation_answers(respondent_name="Anna de Vries")).status_code == 302
    assert responses()[0].respondent_name is None
    assert "om uw naam" not in client.get(f"/privacy/{event.organisation.slug}").get_data(as_text=True)


def test_an_organiser_switches_names_on_and_the_form_and_privacy_statement_say_so(app: Flask,
                                                                                  client: FlaskClient) -> None:
    organisation = make_organisation()
    event = held_event(organisation=organisation, title="Phishing-café")
    login(client, make_user(organisation, Role.ORGANISER))
    assert client.post(f"/beheer/evenementen/{event.id}/effect", data=FORM | {"ask_names": "y"}).status_code == 302
    assert services.settings_for(event).ask_names is True
    client.post("/beheer/uitloggen")

    link = evaluation_link(attendee(event).id)
    page = client.get(link).get_data(as_text=True)
    assert "Uw naam (niet verplicht)" in page and "niet anoniem" in page
    statement = client.get(f"/privacy/{organisation.slug}").get_data(as_text=True)
    assert "ook om uw naam" in statement and "Phishing-café" in statement

    knowledge = {f"knowledge_{key}": "1" for key in ("bank_sms", "two_step", "updates")}
    too_long = client.post(link, data=evaluation_answers(respondent_name="x" * 201, intentions=["two_step"]) | knowledge)
    assert too_long.status_code == 400 and "Gebruik hoogstens 200 tekens." in too_long.get_data(as_text=True)
    answers = evaluation_answers(respondent_name="Anna de Vries", intentions=["two_step"]) | knowledge
    assert client.post(link, data=answers).status_code == 302
    assert responses()[0].respondent_name == "Anna de Vries"


def test_a_name_is_exported_erased_and_purged_as_personal_data(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation(retention_days=30)
    event = held_event(organisation=organisation)
    with_settings(event, ask_names=True)
    anna = attendee(event, email="anna@example.org")
    bram = attendee(event)
    for person, name in ((anna, "Anna"), (bram, "Bram")):
        assert client.post(evaluation_link(person.id), data=evaluation_answers(respondent_name=name)).status_code == 302
    login(client, make_user(organisation))

    exported = client.post("/beheer/privacy/export", data={"email": "anna@example.org", "organisation_id": organisation.id})
    (answers,) = json.loads(exported.get_data(as_text=True))["data"]["effect"]
    assert answers["respondent_name"] == "Anna"
    client.post("/beheer/privacy/wissen", data={
        "wissen-email": "anna@example.org", "wissen-organisation_id": organisation.id, "wissen-confirm": "y"})
    annas, brams = responses()
    assert (annas.respondent_name, annas.registration_id, annas.satisfaction) == (None, None, 4)
    assert brams.respondent_name == "Bram"

    event.starts_at -= timedelta(days=40)
    event.ends_at -= timedelta(days=40)
    db.session.commit()
    app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert [response.respondent_name for response in responses()] == [None, None]
