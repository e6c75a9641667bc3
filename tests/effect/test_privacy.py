"""Effect answers and the AVG: linked to the registration only until the retention purge or an erasure."""
from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from effect.tokens import mint_evaluation
from extensions import db
from tests.effect.helpers import attendee, evaluation_answers, held_event, responses
from tests.factories import login, make_organisation, make_user


def evaluate(client: FlaskClient, registration_id: int, **answers: object) -> None:
    link = mint_evaluation({"registration": registration_id}).removeprefix("http://localhost")
    assert client.post(link, data=evaluation_answers(**answers)).status_code == 302


def test_the_export_shows_the_linked_answers_and_erasure_cuts_the_link_and_the_free_text(
        app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    person = attendee(held_event(organisation=organisation), email="anna@example.org")
    other = attendee(held_event(organisation=organisation))
    evaluate(client, person.id, comment="Ik ben Anna uit de Dorpsstraat")
    evaluate(client, other.id)
    login(client, make_user(organisation))

    exported = client.post("/beheer/privacy/export", data={"email": "anna@example.org", "organisation_id": organisation.id})
    (answers,) = json.loads(exported.get_data(as_text=True))["data"]["effect"]
    assert (answers["satisfaction"], answers["comment"]) == (4, "Ik ben Anna uit de Dorpsstraat")

    erased = client.post("/beheer/privacy/wissen", data={
        "wissen-email": "anna@example.org", "wissen-organisation_id": organisation.id, "wissen-confirm": "y"})
    assert erased.status_code == 302
    annas, others = responses()
    assert (annas.registration_id, annas.comment, annas.satisfaction) == (None, None, 4)  # counted, not linked
    assert others.registration_id == other.id and others.comment == "Goed verteld"
    again = client.post("/beheer/privacy/export", data={"email": "anna@example.org", "organisation_id": organisation.id})
    assert json.loads(again.get_data(as_text=True))["data"]["effect"] == []


def test_the_retention_purge_cuts_the_link_and_keeps_the_answers_paired(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation(retention_days=30)
    old_event = held_event(organisation=organisation)
    old = attendee(old_event)
    recent = attendee(held_event(organisation=organisation))
    evaluate(client, old.id)
    evaluate(client, recent.id)
    old_response = responses()[0]
    old_response.knowledge_before, old_response.knowledge_after = {"two_step": 0}, {"two_step": 1}
    old_event.starts_at -= timedelta(days=40)
    old_event.ends_at -= timedelta(days=40)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert "effect: 1 geanonimiseerd" in result.output
    purged, kept = responses()
    assert purged.registration_id is None and purged.comment is None
    assert (purged.knowledge_before, purged.knowledge_after, purged.intentions) == (
        {"two_step": 0}, {"two_step": 1}, ["two_step", "backups"])
    assert kept.registration_id == recent.id
    assert "effect: 0 geanonimiseerd" in app.test_cli_runner().invoke(args=["privacy", "purge"]).output
