"""The custom questions editor: add, edit, delete (keeping given answers) and reorder."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Role
from events.models import Event, Question, QuestionKind
from extensions import db
from tests.factories import (
    admin_url,
    login,
    make_event,
    make_organisation,
    make_question,
    make_registration,
    make_user,
    signup_url,
)


@pytest.fixture
def event(client: FlaskClient) -> Event:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    return make_event(organisation)


def stored_questions(event: Event) -> list[Question]:
    db.session.expire_all()
    query = sa.select(Question).where(Question.event_id == event.id).order_by(Question.position, Question.id)
    return list(db.session.scalars(query))


def question_fields(**overrides: str) -> dict[str, str]:
    return {"label": "Hoe kwam u bij ons?", "help_text": "", "kind": "short_text", "option_lines": ""} | overrides


def test_added_questions_appear_on_the_sign_up_form_in_order(client: FlaskClient, event: Event) -> None:
    client.post(admin_url(event, "vragen"), data=question_fields(label="Uw rol", required="y"))
    response = client.post(admin_url(event, "vragen"), data=question_fields(
        label="Welke workshop?", kind="single_choice", option_lines=" Phishing \n\nWachtwoorden\n"))
    assert response.status_code == 302
    questions = stored_questions(event)
    assert [(q.label, q.kind, q.required, q.options, q.position) for q in questions] == [
        ("Uw rol", QuestionKind.SHORT_TEXT, True, [], 1),
        ("Welke workshop?", QuestionKind.SINGLE_CHOICE, False, ["Phishing", "Wachtwoorden"], 2),
    ]
    public_page = client.get(signup_url(event)).get_data(as_text=True)
    assert public_page.index("Uw rol") < public_page.index("Welke workshop?") < public_page.index("Wachtwoorden")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"label": ""}, "Vul de vraag in."),
        ({"label": "x" * 301}, "300"),
        ({"kind": "essay"}, "Soort antwoord"),
        ({"kind": "single_choice", "option_lines": ""}, "Vul minstens één keuze in"),
        ({"kind": "multiple_choice", "option_lines": "Ja\nja"}, "Elke keuze mag maar één keer voorkomen."),
        ({"kind": "checkbox", "option_lines": "Ja\nNee"}, "Alleen een keuzevraag heeft keuzes"),
        ({"kind": "single_choice", "option_lines": "\n".join(f"Keuze {n}" for n in range(31))}, "hoogstens 30 keuzes"),
    ],
)
def test_invalid_question_is_refused_with_400_and_stores_nothing(
    client: FlaskClient, event: Event, overrides: dict[str, str], message: str
) -> None:
    response = client.post(admin_url(event, "vragen"), data=question_fields(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored_questions(event) == []


def test_edit_question_shows_options_one_per_line_and_saves(client: FlaskClient, event: Event) -> None:
    question = make_question(event, label="Dag", kind=QuestionKind.SINGLE_CHOICE, options=["Maandag", "Dinsdag"])
    url = admin_url(event, f"vragen/{question.id}/bewerken")
    assert "Maandag\nDinsdag</textarea>" in client.get(url).get_data(as_text=True)
    response = client.post(url, data=question_fields(label="Dagdeel", kind="long_text", required="y"))
    assert response.status_code == 302
    [saved] = stored_questions(event)
    assert (saved.label, saved.kind, saved.required, saved.options) == ("Dagdeel", QuestionKind.LONG_TEXT, True, [])
    refused = client.post(url, data=question_fields(label="", kind="single_choice"))
    assert refused.status_code == 400
    assert stored_questions(event)[0].label == "Dagdeel"


def test_deleting_an_unanswered_question_removes_it(client: FlaskClient, event: Event) -> None:
    question = make_question(event)
    url = admin_url(event, f"vragen/{question.id}/verwijderen")
    assert "helemaal verwijderd" in client.get(url).get_data(as_text=True)
    assert client.post(url).status_code == 302
    assert stored_questions(event) == []


def test_deleting_an_answered_question_hides_it_but_keeps_the_answers_in_the_export(
    client: FlaskClient, event: Event
) -> None:
    question = make_question(event, label="Hoe kwam u bij ons?")
    make_registration(event, answers={str(question.id): "Via de krant"})
    url = admin_url(event, f"vragen/{question.id}/verwijderen")
    assert "antwoorden blijven bewaard" in client.get(url).get_data(as_text=True)
    assert client.post(url).status_code == 302
    assert "Hoe kwam u bij ons?" not in client.get(signup_url(event)).get_data(as_text=True)
    assert "Hoe kwam u bij ons?" not in client.get(admin_url(event, "vragen")).get_data(as_text=True)
    assert client.get(url).status_code == 404
    export = client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.csv").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";"))
    assert row[header.index("Hoe kwam u bij ons? (verwijderd)")] == "Via de krant"


def move(client: FlaskClient, question: Question, direction: str) -> int:
    url = admin_url(question.event, f"vragen/{question.id}/verplaatsen")
    return client.post(url, data={"richting": direction}).status_code


def test_questions_move_up_and_down(client: FlaskClient, event: Event) -> None:
    first, second, third = (make_question(event, label=label) for label in ("Eén", "Twee", "Drie"))
    assert move(client, third, "omhoog") == 302
    assert [q.label for q in stored_questions(event)] == ["Eén", "Drie", "Twee"]
    move(client, first, "omlaag")
    assert [q.label for q in stored_questions(event)] == ["Drie", "Eén", "Twee"]
    move(client, third, "omhoog")  # already first
    move(client, second, "omlaag")  # already last
    assert [q.label for q in stored_questions(event)] == ["Drie", "Eén", "Twee"]
    assert move(client, second, "opzij") == 400


def test_question_of_another_event_is_404(client: FlaskClient, event: Event) -> None:
    other_event = make_event(event.organisation)
    question = make_question(other_event)
    assert client.get(admin_url(event, f"vragen/{question.id}/bewerken")).status_code == 404
    assert client.post(admin_url(event, f"vragen/{question.id}/verwijderen")).status_code == 404
    assert len(stored_questions(other_event)) == 1
