"""The attendance list: CSV and XLSX with checked-in-at, from the same rows, both streamed."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from accounts.models import Role
from events.models import Event, QuestionKind
from tests.factories import login, make_event, make_organisation, make_question, make_registration, make_user


@pytest.fixture
def event(client: FlaskClient) -> Event:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    return make_event(organisation, title="Veilig online", slug="veilig-online")


def xlsx_rows(client: FlaskClient, event: Event) -> list[list[object]]:
    response = client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.xlsx")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == 'attachment; filename="aanmeldingen-veilig-online.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


def csv_rows(client: FlaskClient, event: Event) -> list[list[str]]:
    body = client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.csv").get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body), delimiter=";"))


def test_attendance_list_has_name_organisation_registered_and_checked_in_at_and_answers(
        client: FlaskClient, event: Event) -> None:
    question = make_question(event, label="Onderwerpen", kind=QuestionKind.MULTIPLE_CHOICE,
                             options=["Phishing", "Back-ups"])
    make_registration(event, name="Anna", company_name="Bakkerij Ö",
                      created_at=datetime(2027, 1, 15, 9, 5, tzinfo=timezone.utc),
                      checked_in_at=datetime(2027, 2, 1, 18, 31, tzinfo=timezone.utc),
                      answers={str(question.id): ["Phishing", "Back-ups"]})
    make_registration(event, name="Bram", created_at=datetime(2027, 1, 16, 9, 5, tzinfo=timezone.utc))
    header, anna, bram = xlsx_rows(client, event)
    assert header == csv_rows(client, event)[0]
    column = header.index
    assert anna[column("Naam")] == "Anna" and anna[column("Bedrijf of organisatie")] == "Bakkerij Ö"
    assert anna[column("Aangemeld op")] == datetime(2027, 1, 15, 10, 5)  # a date cell, in Amsterdam time
    assert anna[column("Ingecheckt op")] == datetime(2027, 2, 1, 19, 31)
    assert anna[column("Onderwerpen")] == "Phishing, Back-ups"
    assert bram[column("Ingecheckt op")] == ""
    as_text = [[f"{cell:%Y-%m-%d %H:%M}" if isinstance(cell, datetime) else str(cell) for cell in row]
               for row in (anna, bram)]
    assert as_text == csv_rows(client, event)[1:]


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://evil.example")', "+31 6 1234", "@SUM(A1)"])
def test_xlsx_neutralises_formulas_like_the_csv(client: FlaskClient, event: Event, dangerous: str) -> None:
    make_registration(event, name=dangerous)
    header, row = xlsx_rows(client, event)
    assert row[header.index("Naam")] == f"'{dangerous}"


def test_xlsx_drops_control_characters_xml_cannot_hold(client: FlaskClient, event: Event) -> None:
    question = make_question(event, label="Opmerking", kind=QuestionKind.LONG_TEXT)
    make_registration(event, answers={str(question.id): "regel\x0bmet\x01tekens"})
    header, row = xlsx_rows(client, event)
    assert row[header.index("Opmerking")] == "regelmettekens"


def test_xlsx_of_an_event_without_registrations_is_only_the_header(client: FlaskClient, event: Event) -> None:
    assert len(xlsx_rows(client, event)) == 1


def test_xlsx_needs_manage_events_in_the_events_organisation(client: FlaskClient, event: Event) -> None:
    client.post("/beheer/uitloggen")
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.xlsx").status_code == 404
