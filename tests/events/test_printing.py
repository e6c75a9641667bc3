"""The attendance sheet and name badges as PDF: confirmed people only, pages that follow the count,
organisation-scoped, audited."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from accounts.models import Role
from core.audit import AuditEntry
from core.timeutils import utcnow
from events.models import Event, RegistrationStatus
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user


@pytest.fixture
def event(app) -> Event:  # noqa: ANN001
    return make_event(make_organisation(), slug="veilig-online", starts_at=utcnow() + timedelta(days=1))


@pytest.fixture
def organiser(client: FlaskClient, event: Event) -> FlaskClient:
    login(client, make_user(event.organisation, Role.ORGANISER))
    return client


def pdf(client: FlaskClient, event: Event, name: str) -> PdfReader:
    response = client.get(f"/beheer/evenementen/{event.id}/{name}.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}-veilig-online.pdf"'
    return PdfReader(io.BytesIO(response.get_data()))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_attendance_sheet_lists_confirmed_people_with_a_signature_column(organiser: FlaskClient,
                                                                             event: Event) -> None:
    make_registration(event, name="Zoë Ödegaard", company_name="Bakkerij & Zn <BV>")
    make_registration(event, name="Anna Walk", walk_in=True)
    make_registration(event, name="Wachtende Wim", status=RegistrationStatus.WAITLISTED)
    make_registration(event, name="Afgemelde Ank", status=RegistrationStatus.CANCELLED)
    reader = pdf(organiser, event, "presentielijst")
    text = text_of(reader)
    assert len(reader.pages) == 1
    assert "Presentielijst" in text and "Handtekening" in text
    assert "Zoë Ödegaard" in text and "Bakkerij & Zn <BV>" in text and "binnenloper" in text
    assert "Wachtende Wim" not in text and "Afgemelde Ank" not in text
    assert text.index("Anna Walk") < text.index("Zoë Ödegaard")  # in name order
    assert "@example.org" not in text
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registrations.printed")).one()
    assert entry.details["kind"] == "presentielijst" and entry.organisation_id == event.organisation_id


def test_a_long_list_goes_on_over_pages_with_every_name(organiser: FlaskClient, event: Event) -> None:
    for n in range(60):
        make_registration(event, name=f"Deelnemer {n:02d}")
    reader = pdf(organiser, event, "presentielijst")
    assert len(reader.pages) >= 3
    text = text_of(reader)
    assert all(f"Deelnemer {n:02d}" in text for n in range(60))
    assert all("Handtekening" in page.extract_text() for page in reader.pages)  # the header repeats
    assert "Pagina 3" in reader.pages[2].extract_text()


def test_badges_are_ten_to_a_page_with_name_and_organisation(organiser: FlaskClient, event: Event) -> None:
    for n in range(12):
        make_registration(event, name=f"Badge Persoon {n:02d}", company_name=f"Bedrijf {n:02d}")
    make_registration(event, name="Wachtende Wim", status=RegistrationStatus.WAITLISTED)
    make_registration(event, name="Prof. dr. Maria Alexandra van den Berghe-Oosterhuis tot Langeveld")
    reader = pdf(organiser, event, "naambadges")
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert all(f"Badge Persoon {n:02d}" in first + second for n in range(12))
    assert "Bedrijf 00" in first and first.count(event.title) == 10
    assert "Wachtende Wim" not in first + second
    assert "Prof. dr. Maria" in first + second  # shrunk or shortened, never off the badge


def test_an_event_without_people_prints_a_page_that_says_so(organiser: FlaskClient, event: Event) -> None:
    assert "geen aanmeldingen" in text_of(pdf(organiser, event, "naambadges"))
    assert len(pdf(organiser, event, "presentielijst").pages) == 1


@pytest.mark.parametrize("name", ["presentielijst", "naambadges"])
def test_printing_needs_manage_events_in_the_events_organisation(client: FlaskClient, event: Event,
                                                                 name: str) -> None:
    make_registration(event)
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get(f"/beheer/evenementen/{event.id}/{name}.pdf").status_code == 404
    client.post("/beheer/uitloggen")
    login(client, make_user(event.organisation, Role.COMMUNICATIONS))
    assert client.get(f"/beheer/evenementen/{event.id}/{name}.pdf").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "registrations.printed")) == 0
