"""The organiser adapts the evaluation per event; only for events of their own organisation."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from effect import services
from effect.models import EffectSettings
from effect.tokens import mint_evaluation
from extensions import db
from tests.effect.helpers import attendee, held_event
from tests.factories import login, make_event, make_organisation, make_user

FORM = {"evaluation_enabled": "y", "measures": ["two_step", "updates"], "knowledge_questions": ["bank_sms", "two_step",
        "updates"], "ask_experience": "", "followup_days": "60", "open_question": "Wat zou u een buurman aanraden?"}


def test_an_organiser_adapts_the_form_and_the_attendee_sees_it(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    event = held_event(organisation=organisation)
    login(client, make_user(organisation, Role.ORGANISER))
    page = client.get(f"/beheer/evenementen/{event.id}/effect")
    assert page.status_code == 200 and "Kennisvragen" in page.get_data(as_text=True)
    assert client.post(f"/beheer/evenementen/{event.id}/effect", data=FORM).status_code == 302
    settings = services.settings_for(event)
    assert (settings.measures, settings.knowledge_questions, settings.ask_experience, settings.followup_days) == (
        ["two_step", "updates"], ["bank_sms", "two_step", "updates"], False, 60)

    client.post("/beheer/uitloggen")
    link = mint_evaluation({"registration": attendee(event).id}).removeprefix("http://localhost")
    form = client.get(link).get_data(as_text=True)
    assert "Wat zou u een buurman aanraden?" in form and "Wat doet tweestapsverificatie?" in form
    assert "back-ups" not in form.lower() and "afgelopen 12 maanden" not in form


def test_bad_settings_are_refused_in_dutch(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    login(client, make_user(organisation, Role.ORGANISER))
    url = f"/beheer/evenementen/{event.id}/effect"
    two = client.post(url, data=FORM | {"knowledge_questions": ["bank_sms", "two_step"]})
    assert two.status_code == 400 and "Kies minstens 3 kennisvragen" in two.get_data(as_text=True)
    days = client.post(url, data=FORM | {"followup_days": "3"})
    assert days.status_code == 400 and "Kies tussen 14 en 365 dagen." in days.get_data(as_text=True)
    unknown = client.post(url, data=FORM | {"measures": ["zelf_verzonnen"]})
    assert unknown.status_code == 400
    assert db.session.get(EffectSettings, event.id) is None


def test_another_organisations_organiser_gets_a_404(app: Flask, client: FlaskClient) -> None:
    event = make_event(make_organisation())
    login(client, make_user(make_organisation(), Role.ORGANISER))
    assert client.get(f"/beheer/evenementen/{event.id}/effect").status_code == 404
    assert client.post(f"/beheer/evenementen/{event.id}/effect", data=FORM).status_code == 404
    assert db.session.get(EffectSettings, event.id) is None
