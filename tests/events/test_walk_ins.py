"""Walk-ins with just a name: checked in, never mailed, marked in the registrations page and both exports."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook

from accounts.models import Role
from core.timeutils import utcnow
from events import privacy
from events.models import Event, Registration, RegistrationStatus
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user, outbox


@pytest.fixture
def event(app) -> Event:  # noqa: ANN001
    return make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=20))


@pytest.fixture
def organiser(client: FlaskClient, event: Event) -> FlaskClient:
    login(client, make_user(event.organisation, Role.ORGANISER))
    return client


def walk_in(client: FlaskClient, event: Event, nonce: str, **fields: str):  # noqa: ANN201
    return client.post(f"/beheer/check-in/{event.id}/binnenloop", data={"nonce": nonce, **fields})


def test_a_walk_in_with_just_a_name_is_checked_in_and_not_mailed(organiser: FlaskClient, event: Event) -> None:
    response = walk_in(organiser, event, "walk-in-name-1", name="Henk Zonder Mail")
    assert response.status_code == 200 and 'data-result="checked_in"' in response.get_data(as_text=True)
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.email is None and registration.walk_in
    assert registration.status == RegistrationStatus.CONFIRMED and registration.checked_in_at is not None
    assert outbox() == []


def test_two_walk_ins_without_an_address_are_two_people(organiser: FlaskClient, event: Event) -> None:
    assert walk_in(organiser, event, "walk-in-name-2", name="Henk").status_code == 200
    assert walk_in(organiser, event, "walk-in-name-3", name="Henk").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2


def test_a_walk_in_with_an_address_is_mailed_and_marked(organiser: FlaskClient, event: Event) -> None:
    assert walk_in(organiser, event, "walk-in-name-4", name="Ina", email="ina@example.org").status_code == 200
    assert [mail.to_address for mail in outbox()] == ["ina@example.org"]
    assert db.session.scalars(sa.select(Registration)).one().walk_in


def test_registrations_page_marks_walk_ins(organiser: FlaskClient, event: Event) -> None:
    make_registration(event, name="Aangemelde Anna")
    walk_in(organiser, event, "walk-in-name-5", name="Binnenloper Bert")
    page = organiser.get(f"/beheer/evenementen/{event.id}/aanmeldingen").get_data(as_text=True)
    anna_row = page[page.index("Aangemelde Anna"):].split("</tr>")[0]
    bert_row = page[page.index("Binnenloper Bert"):].split("</tr>")[0]
    assert "binnenloper</span>" in bert_row and "binnenloper</span>" not in anna_row
    assert "None" not in bert_row


def test_both_exports_mark_the_walk_in_and_the_xlsx_holds_real_dates(organiser: FlaskClient, event: Event) -> None:
    make_registration(event, name="Anna", created_at=datetime.fromisoformat("2026-07-01T08:05:00+00:00"))
    walk_in(organiser, event, "walk-in-name-6", name="Bert")
    body = organiser.get(f"/beheer/evenementen/{event.id}/aanmeldingen.csv").get_data().decode("utf-8-sig")
    header, anna, bert = list(csv.reader(io.StringIO(body), delimiter=";"))
    column = header.index
    assert (anna[column("Binnenloper")], bert[column("Binnenloper")]) == ("Nee", "Ja")
    assert bert[column("E-mailadres")] == "" and anna[column("Aangemeld op")] == "2026-07-01 10:05"

    xlsx = organiser.get(f"/beheer/evenementen/{event.id}/aanmeldingen.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    rows = list(sheet.iter_rows())
    names = [cell.value for cell in rows[0]]
    registered, checked_in = rows[1][names.index("Aangemeld op")], rows[2][names.index("Ingecheckt op")]
    assert registered.is_date and registered.data_type == "d" and "yyyy" in registered.number_format
    assert registered.value == datetime(2026, 7, 1, 10, 5)  # summer time: UTC+2, shown without an offset
    assert checked_in.is_date and isinstance(checked_in.value, datetime)
    assert rows[2][names.index("Binnenloper")].value == "Ja"
    assert rows[2][names.index("E-mailadres")].value in (None, "")
    assert rows[1][names.index("Ingecheckt op")].value is None
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:  # stored as an Excel serial number, not as text
        cell_xml = re.search(rb'<c r="G2"[^>]*>.*?</c>', archive.read("xl/worksheets/sheet1.xml")).group()
    assert b't="n"' in cell_xml.split(b">")[0] and re.search(rb"<v>\d+\.\d+</v>", cell_xml)


def test_a_walk_in_without_an_address_is_anonymised_after_the_retention_period(organiser: FlaskClient,
                                                                             event: Event) -> None:
    walk_in(organiser, event, "walk-in-name-7", name="Bert Bewaard", phone="0612345678")
    assert privacy.purge(event.organisation_id, utcnow() + timedelta(days=1)) == 1
    db.session.commit()
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.name != "Bert Bewaard" and registration.phone is None
    assert privacy.purge(event.organisation_id, utcnow() + timedelta(days=1)) == 0
    assert registration.checked_in_at is not None  # attendance counts stay


def test_cancelling_a_walk_in_without_an_address_says_no_mail_goes_and_sends_none(organiser: FlaskClient,
                                                                                  event: Event) -> None:
    assert walk_in(organiser, event, "walk-in-name-9", name="Henk Zonder Mail").status_code == 200
    registration = db.session.scalars(sa.select(Registration)).one()
    url = f"/beheer/evenementen/{event.id}/aanmeldingen/{registration.id}/annuleren"
    page = organiser.get(url).get_data(as_text=True)
    assert "er gaat geen e-mail" in page and "krijgt een e-mail" not in page
    assert organiser.post(url).status_code == 302
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CANCELLED
    assert outbox() == []
