"""The registrations of an event: table with search and filter, manual add and cancel, CSV export."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Role, User
from core.timeutils import utcnow
from events.models import Event, EventStatus, QuestionKind, Registration, RegistrationStatus
from events.services.queries import ADMIN_PAGE_SIZE as PAGE_SIZE
from extensions import db
from tests.factories import (
    admin_url,
    login,
    make_event,
    make_organisation,
    make_question,
    make_registration,
    make_user,
    outbox,
)


@pytest.fixture
def organiser(client: FlaskClient) -> User:
    user = make_user(make_organisation(), Role.ORGANISER)
    login(client, user)
    return user


@pytest.fixture
def event(organiser: User) -> Event:
    return make_event(organiser.memberships[0].organisation, capacity=2, title="Veilig online", slug="veilig-online")


def registrations(event: Event) -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)))


def export_rows(client: FlaskClient, event: Event) -> list[list[str]]:
    response = client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.csv")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_table_searches_name_email_and_company_case_insensitively(client: FlaskClient, event: Event) -> None:
    make_registration(event, name="Anna de Vries", email="anna@example.org")
    make_registration(event, name="Bram Jansen", email="bram@bakkerij.example", company_name="Bakkerij Jansen")
    make_registration(event, name="Carla Smit", email="carla@example.org", status=RegistrationStatus.WAITLISTED)

    def names(query: str) -> set[str]:
        page = client.get(f"{admin_url(event, 'aanmeldingen')}?{query}").get_data(as_text=True)
        return {name for name in ("Anna de Vries", "Bram Jansen", "Carla Smit") if name in page}

    assert names("") == {"Anna de Vries", "Bram Jansen", "Carla Smit"}
    assert names("zoek=DE+VRIES") == {"Anna de Vries"}
    assert names("zoek=bakkerij") == {"Bram Jansen"}
    assert names("zoek=CARLA%40example") == {"Carla Smit"}
    assert names("zoek=%25") == set()
    assert names("status=waitlisted") == {"Carla Smit"}
    assert names("zoek=example.org&status=confirmed") == {"Anna de Vries"}


def test_table_is_paginated(client: FlaskClient, event: Event) -> None:
    event_id = event.id
    db.session.add_all(
        Registration(event_id=event_id, name=f"Persoon {n:03}", email=f"p{n}@example.org",
                     status=RegistrationStatus.WAITLISTED, created_at=utcnow() + timedelta(seconds=n))
        for n in range(PAGE_SIZE + 1)
    )
    db.session.commit()
    first = client.get(admin_url(event, "aanmeldingen")).get_data(as_text=True)
    second = client.get(f"{admin_url(event, 'aanmeldingen')}?pagina=2").get_data(as_text=True)
    assert "Persoon 000" in first and f"Persoon {PAGE_SIZE:03}" not in first
    assert f"Persoon {PAGE_SIZE:03}" in second and "Persoon 000" not in second
    assert "Pagina 2 van 2" in second
    assert client.get(f"{admin_url(event, 'aanmeldingen')}?pagina=0").status_code == 404


def test_organiser_adds_someone_who_gets_a_seat_and_a_mail(client: FlaskClient, organiser: User, event: Event) -> None:
    response = client.post(admin_url(event, "aanmeldingen/nieuw"), data={
        "name": "Dirk Bakker", "email": " Dirk@Example.org ", "company_name": "Bakker BV", "phone": "030 123 4567"})
    assert response.status_code == 302
    [registration] = registrations(event)
    assert (registration.email, registration.company_name, registration.phone) == (
        "dirk@example.org", "Bakker BV", "030 123 4567")
    assert registration.status == RegistrationStatus.CONFIRMED and registration.added_by_id == organiser.id
    assert [mail.to_address for mail in outbox("registration_confirmed")] == ["dirk@example.org"]


def test_organiser_may_add_after_registration_closed_and_a_full_event_waitlists(client: FlaskClient,
                                                                              event: Event) -> None:
    event.registration_closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    make_registration(event)
    make_registration(event)
    response = client.post(admin_url(event, "aanmeldingen/nieuw"), data={"name": "Eva", "email": "eva@example.org"})
    assert response.status_code == 302
    assert registrations(event)[-1].status == RegistrationStatus.WAITLISTED


def test_adding_the_same_address_twice_takes_no_second_seat(client: FlaskClient, event: Event) -> None:
    make_registration(event, email="fleur@example.org")
    response = client.post(admin_url(event, "aanmeldingen/nieuw"), data={"name": "Fleur", "email": "FLEUR@example.org"},
                           follow_redirects=True)
    assert "was al aangemeld" in response.get_data(as_text=True)
    assert len(registrations(event)) == 1
    assert len(outbox("already_registered")) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "email": "a@example.org"}, "Vul uw naam in."),
        ({"name": "Anna", "email": "geen-adres"}, "Dit is geen geldig e-mailadres."),
        ({"name": "Anna", "email": "a@example.org", "phone": "bel me"}, "Gebruik alleen cijfers"),
        ({"name": "x" * 201, "email": "a@example.org"}, "200"),
    ],
)
def test_invalid_manual_registration_is_refused_with_400_and_stores_nothing(
    client: FlaskClient, event: Event, fields: dict[str, str], message: str
) -> None:
    response = client.post(admin_url(event, "aanmeldingen/nieuw"), data=fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert registrations(event) == [] and outbox() == []


def test_adding_to_a_cancelled_event_answers_409(client: FlaskClient, event: Event) -> None:
    event.status = EventStatus.CANCELLED
    db.session.commit()
    response = client.post(admin_url(event, "aanmeldingen/nieuw"), data={"name": "Gijs", "email": "gijs@example.org"})
    assert response.status_code == 409
    assert "gaat niet door" in response.get_data(as_text=True)
    assert registrations(event) == []


def test_organiser_cancel_promotes_the_first_waitlisted(client: FlaskClient, event: Event) -> None:
    seated = make_registration(event)
    make_registration(event)
    first_waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    url = admin_url(event, f"aanmeldingen/{seated.id}/annuleren")
    assert seated.email in client.get(url).get_data(as_text=True)
    assert client.post(url).status_code == 302
    assert [r.status for r in registrations(event)] == [
        RegistrationStatus.CANCELLED, RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    assert [m.to_address for m in outbox("registration_cancelled")] == [seated.email]
    assert [m.to_address for m in outbox("registration_promoted")] == [first_waiting.email]
    assert client.post(url).status_code == 302
    assert len(outbox()) == 2


def test_registration_of_another_event_is_404(client: FlaskClient, event: Event) -> None:
    other = make_registration(make_event(event.organisation))
    assert client.post(admin_url(event, f"aanmeldingen/{other.id}/annuleren")).status_code == 404
    db.session.expire_all()
    assert other.status == RegistrationStatus.CONFIRMED


def test_export_has_a_column_per_question_and_local_times(client: FlaskClient, event: Event) -> None:
    workshop = make_question(event, label="Welke workshops?", kind=QuestionKind.MULTIPLE_CHOICE,
                             options=["Phishing", "Wachtwoorden"])
    photos = make_question(event, label="Foto's goed?", kind=QuestionKind.CHECKBOX)
    make_question(event, label="Opmerking", kind=QuestionKind.LONG_TEXT)
    make_registration(event, name="Anna", email="anna@example.org", company_name="Café Ö", phone="030 1234567",
                      created_at=datetime(2027, 1, 15, 9, 5, tzinfo=timezone.utc),
                      answers={str(workshop.id): ["Phishing", "Wachtwoorden"], str(photos.id): True})
    make_registration(event, name="Bram", email="bram@example.org", status=RegistrationStatus.WAITLISTED,
                      created_at=datetime(2027, 7, 15, 9, 5, tzinfo=timezone.utc),
                      answers={str(workshop.id): [], str(photos.id): False})
    response = client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="aanmeldingen-veilig-online.csv"'
    assert response.is_streamed
    header, anna, bram = export_rows(client, event)
    assert header[:7] == ["Naam", "E-mailadres", "Bedrijf of organisatie", "Telefoon", "Status", "Binnenloper",
                          "Aangemeld op"]
    assert header[-3:] == ["Welke workshops?", "Foto's goed?", "Opmerking"]
    assert anna[:7] == ["Anna", "anna@example.org", "Café Ö", "030 1234567", "Aangemeld", "Nee", "2027-01-15 10:05"]
    assert anna[-3:] == ["Phishing, Wachtwoorden", "Ja", ""]
    assert bram[4:7] == ["Wachtlijst", "Nee", "2027-07-15 11:05"]
    assert bram[-3:] == ["", "Nee", ""]


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://evil.example\")", "+31 6 1234", "-2+3", "@SUM(A1)",
                                       "\tgetab", "\rterug"])
def test_export_neutralises_formula_injection(client: FlaskClient, event: Event, dangerous: str) -> None:
    question = make_question(event, label="Opmerking")
    make_registration(event, name=dangerous, company_name=dangerous, answers={str(question.id): dangerous})
    header, row = export_rows(client, event)
    for column in ("Naam", "Bedrijf of organisatie", "Opmerking"):
        assert row[header.index(column)] == f"'{dangerous}"


def test_export_of_an_event_without_registrations_is_only_the_header(client: FlaskClient, event: Event) -> None:
    assert len(export_rows(client, event)) == 1
