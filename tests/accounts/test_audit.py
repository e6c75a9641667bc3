"""The audit log: admin views that show or change personal data leave an entry; the organisation admin reads it."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user

from accounts.models import Membership, Organisation, Role
from core import audit
from core.audit import AuditEntry
from core.timeutils import utcnow
from events.models import Registration
from extensions import db
from mailing.models import OutgoingAttachment
from tests.conftest import QueryCounter
from tests.factories import (
    PASSWORD,
    admin_url,
    login,
    make_contact_list,
    make_event,
    make_message,
    make_organisation,
    make_registration,
    make_user,
)

LONG_AGENT = "Mozilla/5.0 " + "x" * 400


def entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def test_viewing_registrations_records_who_what_which_record_and_from_where(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    make_registration(event)
    admin = make_user(organisation)
    # The whole session from one browser: a login's session is bound to its address and browser.
    client.environ_base |= {"REMOTE_ADDR": "192.0.2.7", "HTTP_USER_AGENT": LONG_AGENT}
    login(client, admin)

    response = client.get(admin_url(event, "aanmeldingen"))

    assert response.status_code == 200
    [entry] = entries()
    assert (entry.user_id, entry.user_email, entry.action) == (admin.id, admin.email, "registrations.viewed")
    assert (entry.record_type, entry.record_id, entry.organisation_id) == ("event", event.id, organisation.id)
    assert entry.ip_address == "192.0.2.7"
    assert entry.user_agent == LONG_AGENT[:audit.USER_AGENT_LENGTH]
    assert entry.created_at.utcoffset().total_seconds() == 0


def test_export_manual_add_and_cancel_of_a_registration_are_audited(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    registration = make_registration(event)
    login(client, make_user(organisation))

    assert client.get(admin_url(event, "aanmeldingen.csv")).status_code == 200
    assert client.post(admin_url(event, "aanmeldingen/nieuw"),
                       data={"name": "Anna de Vries", "email": "anna@example.org"}).status_code == 302
    assert client.post(admin_url(event, f"aanmeldingen/{registration.id}/annuleren")).status_code == 302

    assert [(e.action, e.record_type) for e in entries()] == [
        ("registrations.exported", "event"), ("registration.added", "registration"),
        ("registration.cancelled", "registration")]
    assert entries()[2].record_id == registration.id


def test_mail_catcher_message_html_and_attachment_are_audited(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    message = make_message(organisation)
    attachment = OutgoingAttachment(message_id=message.id, filename="a.ics", content_type="text/calendar", data=b"X")
    db.session.add(attachment)
    db.session.commit()
    login(client, make_user(organisation))

    for path in ("", "/html", f"/bijlagen/{attachment.id}"):
        assert client.get(f"/beheer/mail/{message.id}{path}").status_code == 200

    assert [(e.action, e.record_id) for e in entries()] == [
        ("mail.viewed", message.id), ("mail.html_viewed", message.id), ("mail.attachment_downloaded", message.id)]


def test_member_changes_are_audited(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation))
    colleague = make_user(organisation, Role.ORGANISER)
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == colleague.id))
    base = f"/beheer/organisaties/{organisation.id}/gebruikers"

    client.post(base, data={"name": "Nieuw", "email": "nieuw@example.org", "role": "checkin"})
    client.post(f"{base}/{membership.id}/rol", data={"role": "communications"})
    client.post(f"{base}/{membership.id}/verwijderen")

    assert [(e.action, e.organisation_id) for e in entries()] == [
        ("member.invited", organisation.id), ("member.role_changed", organisation.id),
        ("member.removed", organisation.id)]
    assert entries()[1].record_id == colleague.id
    assert entries()[1].details == {"role": "communications"}


def test_a_refused_change_leaves_no_audit_entry(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    admin = make_user(organisation)
    login(client, admin)
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == admin.id))

    response = client.post(f"/beheer/organisaties/{organisation.id}/gebruikers/{membership.id}/verwijderen")

    assert response.status_code == 409
    assert entries() == []


def test_secrets_never_enter_the_audit_log(app: Flask) -> None:
    user = make_user(make_organisation())
    with app.test_request_context():
        login_user(user)
        entry = audit.record("test.secret", details_like={"note": "ok"}, password="hunter2", manage_token="abc",
                             nested={"csrf_token": "t", "list": [{"totp_secret": "s", "recovery_code": "c"}]},
                             api_secret="k")
        db.session.commit()

    stored = json.dumps(entries()[0].details)
    for secret in ("hunter2", "abc", '"t"', '"s"', '"c"', '"k"'):
        assert secret not in stored
    assert entry.details["details_like"] == {"note": "ok"}
    assert entry.details["password"] == audit.FILTERED


def test_no_token_or_password_reaches_the_log_through_the_admin(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    registration = make_registration(event)
    login(client, make_user(organisation))

    client.get(admin_url(event, "aanmeldingen"))
    client.get(admin_url(event, "aanmeldingen.csv"))
    client.post(admin_url(event, f"aanmeldingen/{registration.id}/annuleren"))

    logged = json.dumps([[e.action, e.details, e.user_agent] for e in entries()])
    assert entries()
    for secret in (registration.manage_token, registration.checkin_code, PASSWORD):
        assert secret not in logged


def add_entries(organisation: Organisation, count: int = 1, **fields: object) -> None:
    user = make_user(organisation)
    values = {"user_id": user.id, "user_email": user.email, "action": "registrations.viewed", "record_type": "event",
              "record_id": 1, "organisation_id": organisation.id} | fields
    db.session.add_all(AuditEntry(**values) for _ in range(count))
    db.session.commit()


@pytest.fixture
def logged_entries(app: Flask) -> tuple[Organisation, Organisation]:
    """Two organisations with an entry each."""
    mine, theirs = make_organisation(name="Gemeente Mijn"), make_organisation(name="Gemeente Ander")
    add_entries(mine)
    add_entries(theirs)
    return mine, theirs


def test_organisation_admin_sees_only_the_entries_of_their_organisation(
    app: Flask, client: FlaskClient, logged_entries: tuple
) -> None:
    mine, theirs = logged_entries
    login(client, make_user(mine))

    page = client.get("/beheer/audit/").get_data(as_text=True)
    forced = client.get(f"/beheer/audit/?organisatie={theirs.id}").get_data(as_text=True)

    assert "Gemeente Mijn" in page and "Gemeente Ander" not in page
    assert "Gemeente Ander" not in forced


def test_regional_admin_sees_every_entry(app: Flask, client: FlaskClient, logged_entries: tuple) -> None:
    login(client, make_user(regional_admin=True))

    page = client.get("/beheer/audit/").get_data(as_text=True)

    assert "Gemeente Mijn" in page and "Gemeente Ander" in page


def test_audit_page_needs_the_manage_users_permission(app: Flask, client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ORGANISER))

    assert client.get("/beheer/audit/").status_code == 403


def test_audit_page_filters_by_action_and_user(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    add_entries(organisation, user_email="kijker@example.org")
    add_entries(organisation, user_email="exporteur@example.org", action="registrations.exported")
    login(client, make_user(organisation))

    by_action = client.get("/beheer/audit/?actie=registrations.exported").get_data(as_text=True).split("<tbody")[1]
    by_user = client.get("/beheer/audit/?gebruiker=kijker@").get_data(as_text=True).split("<tbody")[1]

    assert "exporteur@example.org" in by_action and "kijker@example.org" not in by_action
    assert "kijker@example.org" in by_user and "exporteur@example.org" not in by_user


def test_audit_page_finds_who_touched_one_record(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    add_entries(organisation, user_email="kijker@example.org", record_type="registration", record_id=42)
    add_entries(organisation, user_email="ander@example.org", record_type="registration", record_id=43)
    login(client, make_user(organisation))

    found = client.get("/beheer/audit/?soort=registration&nummer=42").get_data(as_text=True).split("<tbody")[1]

    assert "kijker@example.org" in found and "ander@example.org" not in found
    assert client.get("/beheer/audit/?nummer=99999999999999999999").status_code == 200


def test_audit_page_paginates_with_the_same_number_of_queries_however_many_entries(
    app: Flask, client: FlaskClient, count_queries: QueryCounter
) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation))

    add_entries(organisation, 3)
    with count_queries() as few:
        assert client.get("/beheer/audit/").status_code == 200
    add_entries(organisation, audit.PAGE_SIZE * 2)
    with count_queries() as many:
        page = client.get("/beheer/audit/?pagina=2")

    assert page.status_code == 200
    assert "Pagina 2 van 3" in page.get_data(as_text=True)
    assert len(many) == len(few)


def test_contact_list_export_and_import_are_audited(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    contact_list = make_contact_list(organisation)
    login(client, make_user(organisation, Role.COMMUNICATIONS))

    assert client.get(f"/beheer/contacten/?organisatie={organisation.id}").status_code == 200
    assert client.get(f"/beheer/contacten/lijsten/{contact_list.id}/export.csv").status_code == 200
    upload = client.post(f"/beheer/contacten/import?organisatie={organisation.id}", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"email\r\nlezer@example.org\r\n"), "c.csv")})
    assert client.get(upload.location).status_code == 200
    progress = client.post(upload.location, data={"kolom_email": "0"}).location
    app.test_cli_runner().invoke(args=["campaigns", "tick"])
    assert client.get(f"{progress}/voortgang.json").status_code == 200  # counts only: not recorded
    assert client.get(progress).status_code == 200  # the report, with lines from the file

    assert [(e.action, e.record_type, e.organisation_id) for e in entries()] == [
        ("contacts.viewed", None, organisation.id), ("contacts.exported", "contact_list", organisation.id),
        ("contacts.import_previewed", "contact_import", organisation.id),
        ("contacts.import_previewed", "contact_import", organisation.id),
        ("contacts.imported", "contact_import", organisation.id),
        ("contacts.import_report_viewed", "contact_import", organisation.id)]


def test_door_search_and_walk_in_are_audited(app: Flask, client: FlaskClient) -> None:
    event = make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=30))
    make_registration(event, name="Anna de Vries")
    login(client, make_user(event.organisation, Role.CHECKIN))

    assert client.get(f"/beheer/check-in/{event.id}/zoek.json?q=Anna").get_json()["results"]
    assert client.post(f"/beheer/check-in/{event.id}/binnenloop",
                       data={"name": "Kees Inloop", "email": "kees@example.org", "nonce": "walk-in-a"}).status_code == 200

    walked_in = db.session.scalars(sa.select(Registration).where(Registration.email == "kees@example.org")).one()
    assert [(e.action, e.record_type, e.record_id) for e in entries()] == [
        ("registrations.searched", "event", event.id), ("registration.walked_in", "registration", walked_in.id)]
