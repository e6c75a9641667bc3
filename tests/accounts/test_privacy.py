"""Privacy (AVG): the retention purge, the subject access export and erasure, and the public statements."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from core import privacy
from core.audit import AuditEntry
from core.timeutils import utcnow
from events.models import Event, Registration, RegistrationStatus
from extensions import db
from mailing.models import MessageStatus, OutgoingAttachment
from tests.factories import (
    login,
    make_event,
    make_message,
    make_organisation,
    make_question,
    make_registration,
    make_user,
    outbox,
    signup_url,
)

PERSON = "anna@example.org"


def purge(app: Flask, *options: str) -> Result:
    return app.test_cli_runner().invoke(args=["privacy", "purge", *options])


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Registration).order_by(Registration.id)))


def status_counts(event: Event) -> dict[RegistrationStatus, int]:
    rows = db.session.execute(sa.select(Registration.status, sa.func.count()).where(Registration.event_id == event.id)
                              .group_by(Registration.status))
    return dict(rows.all())


def ended_event(organisation: Organisation, days_ago: int) -> Event:
    return make_event(organisation, starts_at=utcnow() - timedelta(days=days_ago, hours=2))


def sign_up(client: FlaskClient, event: Event, **fields: str) -> None:
    response = client.post(signup_url(event), data={"name": "Anna de Vries", "email": PERSON, **fields})
    assert response.status_code == 302


@pytest.fixture
def old_and_recent(app: Flask) -> tuple[Event, Event]:
    """An event that ended past the 30-day retention period, and one that ended within it; each with people and mail."""
    organisation = make_organisation(retention_days=30)
    old, recent = ended_event(organisation, 31), ended_event(organisation, 29)
    for event in (old, recent):
        make_registration(event, phone="0612345678", company_name="Bakkerij", answers={"1": "Via de krant"},
                          checked_in_at=utcnow() - timedelta(days=40))
        make_registration(event, status=RegistrationStatus.CANCELLED)
        registration = make_registration(event, status=RegistrationStatus.WAITLISTED)
        make_message(organisation, registration_id=registration.id, to_address=registration.email,
                     status=MessageStatus.SENT,
                     attachments=[OutgoingAttachment(filename="t.ics", content_type="text/calendar", data=b"X")])
    return old, recent


def test_purge_anonymises_registrations_and_mail_of_events_past_retention_and_keeps_the_counts(
    app: Flask, old_and_recent: tuple[Event, Event]
) -> None:
    old, recent = old_and_recent
    counts_before = status_counts(old)
    checked_in_before = [r.checked_in_at for r in registrations() if r.event_id == old.id]

    result = purge(app)

    assert result.exit_code == 0, result.output
    assert "registrations: 3" in result.output and "outbox: 0" in result.output
    old_rows = [r for r in registrations() if r.event_id == old.id]
    assert {r.name for r in old_rows} == {privacy.ANONYMOUS_NAME}
    assert all(r.email.endswith("@anoniem.invalid") and r.phone is None and r.company_name is None
               and r.answers == {} for r in old_rows)
    assert [r.checked_in_at for r in old_rows] == checked_in_before
    assert status_counts(old) == counts_before
    assert all("@anoniem.invalid" not in r.email for r in registrations() if r.event_id == recent.id)
    old_mail, recent_mail = outbox()
    assert (old_mail.to_address, old_mail.to_name, old_mail.text_body, old_mail.html_body, old_mail.attachments) == (
        "anoniem@anoniem.invalid", None, "", None, [])
    assert old_mail.status == MessageStatus.SENT
    assert recent_mail.to_address.endswith("@example.org") and recent_mail.attachments


def test_purge_is_idempotent(app: Flask, old_and_recent: tuple[Event, Event]) -> None:
    purge(app)
    first = [(r.name, r.email, r.status) for r in registrations()]

    again = purge(app)

    assert "registrations: 0" in again.output and "outbox: 0" in again.output
    assert [(r.name, r.email, r.status) for r in registrations()] == first


def test_dry_run_reports_the_counts_and_changes_nothing(app: Flask, old_and_recent: tuple[Event, Event]) -> None:
    before = [(r.name, r.email) for r in registrations()]

    result = purge(app, "--dry-run")

    assert result.exit_code == 0
    assert "registrations: 3" in result.output and "outbox: 0" in result.output
    assert [(r.name, r.email) for r in registrations()] == before
    assert purge(app).output == result.output.replace("zou anonimiseren", "geanonimiseerd")


def test_purge_cancels_a_mail_still_queued_instead_of_sending_it_to_the_placeholder(app: Flask) -> None:
    organisation = make_organisation(retention_days=30)
    registration = make_registration(ended_event(organisation, 60))
    make_message(organisation, registration_id=registration.id, to_address=registration.email)

    purge(app)

    [message] = outbox()
    assert (message.status, message.to_address) == (MessageStatus.CANCELLED, "anoniem@anoniem.invalid")


def test_mail_without_a_registration_is_purged_by_its_own_age(app: Flask) -> None:
    organisation = make_organisation(retention_days=30)
    make_message(organisation, template="invitation", status=MessageStatus.SENT,
                 created_at=utcnow() - timedelta(days=31))
    make_message(organisation, template="invitation", status=MessageStatus.SENT)

    purge(app)

    assert [m.to_address.endswith("anoniem.invalid") for m in outbox()] == [True, False]


@pytest.fixture
def person_in_two_organisations(app: Flask, client: FlaskClient) -> tuple[Organisation, Organisation]:
    """Anna signed up through the public form for an event of each organisation (one with a question)."""
    mine, theirs = make_organisation(), make_organisation()
    event = make_event(mine)
    question = make_question(event, label="Hoe heeft u van ons gehoord?")
    sign_up(client, event, **{f"question_{question.id}": "Via de krant", "phone": "0612345678"})
    sign_up(client, make_event(theirs))
    return mine, theirs


def export(client: FlaskClient, organisation_id: int, email: str = PERSON) -> Any:
    response = client.post("/beheer/privacy/export", data={"email": email, "organisation_id": organisation_id})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Disposition"].startswith("attachment")
    return json.loads(response.get_data(as_text=True))


def test_export_holds_the_registrations_with_answers_and_the_mail_to_the_address(
    app: Flask, client: FlaskClient, person_in_two_organisations: tuple[Organisation, Organisation]
) -> None:
    mine, _ = person_in_two_organisations
    login(client, make_user(mine))

    document = export(client, mine.id, email=" Anna@Example.org ")

    [registration] = document["data"]["registrations"]
    assert (registration["name"], registration["email"], registration["phone"]) == (
        "Anna de Vries", PERSON, "0612345678")
    assert registration["answers"] == {"Hoe heeft u van ons gehoord?": "Via de krant"}
    assert [mail["template"] for mail in document["data"]["outbox"]] == ["registration_confirmed"]
    assert "Anna" in document["data"]["outbox"][0]["text_body"]


def test_organisation_admin_exports_only_their_organisations_data_and_regional_admin_everything(
    app: Flask, client: FlaskClient, person_in_two_organisations: tuple[Organisation, Organisation]
) -> None:
    mine, theirs = person_in_two_organisations
    login(client, make_user(mine))
    refused = client.post("/beheer/privacy/export", data={"email": PERSON, "organisation_id": theirs.id})
    everything = client.post("/beheer/privacy/export", data={"email": PERSON, "organisation_id": 0})
    assert (refused.status_code, everything.status_code) == (400, 400)  # not among the offered choices

    client.post("/beheer/uitloggen")
    login(client, make_user(regional_admin=True))
    document = export(client, 0)

    assert len(document["data"]["registrations"]) == 2 and len(document["data"]["outbox"]) == 2


def test_erasure_anonymises_everything_about_the_address_and_keeps_the_counts(
    app: Flask, client: FlaskClient, person_in_two_organisations: tuple[Organisation, Organisation]
) -> None:
    mine, theirs = person_in_two_organisations
    login(client, make_user(mine))
    counts_before = {event.id: status_counts(event) for event in db.session.scalars(sa.select(Event))}

    response = client.post("/beheer/privacy/wissen", data={
        "wissen-email": PERSON, "wissen-organisation_id": mine.id, "wissen-confirm": "y"})

    assert response.status_code == 302
    document = export(client, mine.id)
    assert document["data"] == {"effect": [], "registrations": [], "outbox": [], "contact_imports": [], "contacts": []}
    mine_rows = [r for r in registrations() if r.event.organisation_id == mine.id]
    assert [(r.name, r.phone, r.answers) for r in mine_rows] == [(privacy.ANONYMOUS_NAME, None, {})]
    anonymised = json.dumps([[r.name, r.email, r.answers] for r in mine_rows]
                            + [[m.to_address, m.text_body, m.html_body, m.subject] for m in outbox()
                               if m.organisation_id == mine.id])
    assert "Anna" not in anonymised and PERSON not in anonymised and "krant" not in anonymised
    assert {event.id: status_counts(event) for event in db.session.scalars(sa.select(Event))} == counts_before
    assert [r.email for r in registrations() if r.event.organisation_id == theirs.id] == [PERSON]


def test_erasure_needs_the_confirmation_and_changes_nothing_without_it(
    app: Flask, client: FlaskClient, person_in_two_organisations: tuple[Organisation, Organisation]
) -> None:
    mine, _ = person_in_two_organisations
    login(client, make_user(mine))

    response = client.post("/beheer/privacy/wissen", data={"wissen-email": PERSON, "wissen-organisation_id": mine.id})

    assert response.status_code == 400
    assert "Bevestig dat de gegevens gewist mogen worden." in response.get_data(as_text=True)
    assert all(r.email == PERSON for r in registrations())


def test_export_and_erasure_are_audited_without_the_data_itself(
    app: Flask, client: FlaskClient, person_in_two_organisations: tuple[Organisation, Organisation]
) -> None:
    mine, _ = person_in_two_organisations
    login(client, make_user(mine))

    export(client, mine.id)
    client.post("/beheer/privacy/wissen", data={
        "wissen-email": PERSON, "wissen-organisation_id": mine.id, "wissen-confirm": "y"})

    entries = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.organisation_id) for e in entries] == [
        ("personal_data.exported", mine.id), ("personal_data.erased", mine.id)]
    assert entries[0].details == {"counts": {"effect": 0, "registrations": 1, "outbox": 1, "contact_imports": 0, "contacts": 0}}
    assert "0612345678" not in json.dumps([e.details for e in entries])


def test_subject_requests_are_for_organisation_admins_only(app: Flask, client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ORGANISER))

    assert client.get("/beheer/privacy/").status_code == 403
    assert client.post("/beheer/privacy/export", data={"email": PERSON}).status_code == 403


def test_a_feature_registers_its_personal_data_and_takes_part_in_export_and_erasure(
    app: Flask, client: FlaskClient
) -> None:
    erased: list[tuple[str, Any]] = []
    privacy.register(app, privacy.PersonalData(
        "consent_records",
        purge=lambda organisation_id, cutoff: 0,
        export=lambda email, scope: [{"email": email, "scope": list(scope or [])}],
        erase=lambda email, scope: erased.append((email, scope)) or 1,
    ))
    organisation = make_organisation()
    login(client, make_user(organisation))

    document = export(client, organisation.id)
    client.post("/beheer/privacy/wissen", data={
        "wissen-email": PERSON, "wissen-organisation_id": organisation.id, "wissen-confirm": "y"})

    assert document["data"]["consent_records"] == [{"email": PERSON, "scope": [organisation.id]}]
    assert erased == [(PERSON, [organisation.id])]
    assert "consent_records: 0" in purge(app).output


def test_privacy_page_shows_the_statement_retention_and_contact(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation(privacy_statement="Wij bewaren weinig.\n\nEn kort.", retention_days=90)

    page = client.get(f"/privacy/{organisation.slug}").get_data(as_text=True)

    assert "Wij bewaren weinig." in page and "En kort." in page
    assert "90 dagen" in page
    assert f'href="mailto:{organisation.privacy_contact}"' in page
    assert client.get("/privacy/bestaat-niet").status_code == 404


def test_signup_form_and_mails_link_to_the_privacy_page(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)

    form = client.get(signup_url(event)).get_data(as_text=True)
    sign_up(client, event)

    assert f'href="/privacy/{organisation.slug}"' in form
    [mail] = outbox()
    assert f"{app.config['BASE_URL']}/privacy/{organisation.slug}" in mail.html_body


def test_accessibility_statement_is_linked_from_every_page_footer(app: Flask, client: FlaskClient) -> None:
    statement = client.get("/toegankelijkheid").get_data(as_text=True)

    for heading in ("Nalevingsstatus", "Wat is getest", "Bekende beperkingen", "Contact"):
        assert heading in statement
    assert 'href="/toegankelijkheid"' in client.get("/").get_data(as_text=True)
    assert 'href="/toegankelijkheid"' in client.get("/beheer/inloggen").get_data(as_text=True)
