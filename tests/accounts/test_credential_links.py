"""Attack: a stored copy of a mail hands out a credential link (SECURITY.md, "Credential links").

The sequence that once made organisation B's admin the admin of organisation A: A invites an
address as admin, B invites the same address before its owner chose a password, B's admin opens the
invitation in B's own mail catcher and chooses the password. Now no stored copy (catcher, outbox
admin, privacy export, the database itself) holds a working link; only the mail the relay gets does.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation, Role, User
from extensions import db
from mailing.models import OutgoingMessage
from mailing.worker import run_worker
from tests.factories import login, make_organisation, make_user, outbox
from tests.mailing.conftest import Relay

VICTIM = "nieuw@example.org"
CREDENTIAL_PATHS = ("/beheer/uitnodiging/", "/beheer/wachtwoord/", "/nieuwsbrief/bevestigen/")
CHOSEN = "het wachtwoord van de aanvaller"


def invite(client: FlaskClient, organisation: Organisation, role: str) -> None:
    response = client.post(f"/beheer/organisaties/{organisation.id}/gebruikers",
                           data={"name": "Nieuwe Collega", "email": VICTIM, "role": role})
    assert response.status_code == 302


def credential_links(text: str) -> list[str]:
    return re.findall(r"(/(?:beheer/uitnodiging|beheer/wachtwoord|nieuwsbrief/bevestigen)/[^\s\"'<>&]+)", text)


def pages_of_stored_copies(client: FlaskClient) -> Iterator[str]:
    """Every page on which `client`'s user can read a stored mail: catcher list, detail, HTML view."""
    yield client.get("/beheer/mail/").get_data(as_text=True)
    for message in db.session.scalars(sa.select(OutgoingMessage)):
        for page in (f"/beheer/mail/{message.id}", f"/beheer/mail/{message.id}/html"):
            response = client.get(page)
            if response.status_code == 200:
                yield response.get_data(as_text=True)


@pytest.fixture
def two_organisations(app: Flask) -> tuple[Organisation, Organisation, FlaskClient, FlaskClient]:
    first, second = make_organisation(), make_organisation()
    admin_a, admin_b = app.test_client(), app.test_client()
    login(admin_a, make_user(first, Role.ADMIN))
    login(admin_b, make_user(second, Role.ADMIN))
    return first, second, admin_a, admin_b


def test_a_second_organisations_admin_finds_no_working_link_to_an_account_invited_elsewhere(
    smtp_app: Flask, relay: Relay, two_organisations: tuple[Organisation, Organisation, FlaskClient, FlaskClient],
) -> None:
    first, second, admin_a, admin_b = two_organisations
    invite(admin_a, first, "admin")
    invite(admin_b, second, "organiser")
    assert second.id in {m.organisation_id for m in outbox("invitation")}  # B's copy is in B's mailbox

    pages = list(pages_of_stored_copies(admin_b))
    assert any("/beheer/verborgen-link" in page for page in pages)  # B does read its copy of the invitation
    for page in pages:
        assert credential_links(page) == []
    hidden = admin_b.get("/beheer/verborgen-link")
    assert hidden.status_code == 200 and "alleen in de e-mail zelf" in hidden.get_data(as_text=True)

    victim = db.session.scalar(sa.select(User).where(User.email == VICTIM))
    assert victim.password_hash is None

    # The recipient's mails, over SMTP, carry the working link.
    assert run_worker(once=True) == len(outbox())
    received = [m for m in relay.received if VICTIM in m["To"]]
    assert len(received) == 2
    per_mail = [credential_links(m.get_body(("plain",)).get_content()) for m in received]
    assert all(len(found) == 1 for found in per_mail)  # minted as each mail left
    links = {found[0] for found in per_mail}
    person = smtp_app.test_client()
    link = sorted(links)[0]
    form = {"name": "Nieuwe Collega", "password": "mijn eigen lange wachtwoord", "password_again": "mijn eigen lange wachtwoord"}
    assert person.post(link, data=form).status_code == 302
    assert person.get(f"/beheer/organisaties/{first.id}/gebruikers").status_code == 200

    # Once used, no link works again; B's admin has nothing left to try.
    for other in links:
        assert admin_b.post(other, data={"name": "x", "password": CHOSEN, "password_again": CHOSEN}).status_code == 410


def test_no_admin_can_take_over_an_invitee_from_the_mail_catcher_of_their_own_organisation(
    app: Flask, two_organisations: tuple[Organisation, Organisation, FlaskClient, FlaskClient],
) -> None:
    first, _, admin_a, _ = two_organisations
    invite(admin_a, first, "organiser")
    regional = app.test_client()
    login(regional, make_user(None, None, regional_admin=True))
    for client in (admin_a, regional):  # the organisation's admin, and the admin who sees every mailbox
        for page in pages_of_stored_copies(client):
            assert credential_links(page) == []


def test_the_privacy_export_and_the_database_hold_no_credential_link(
    app: Flask, two_organisations: tuple[Organisation, Organisation, FlaskClient, FlaskClient],
) -> None:
    first, _, admin_a, _ = two_organisations
    invite(admin_a, first, "admin")
    admin_a.post("/beheer/wachtwoord-vergeten", data={"email": VICTIM})
    subscriber = app.test_client()
    subscriber.post(f"/nieuwsbrief/{first.slug}", data={"email": VICTIM, "name": "N", "audience": "citizen",
                                                        "municipality": "Teststad", "topics": ["phishing"], "consent": "y"})
    export = admin_a.post("/beheer/privacy/export", data={"email": VICTIM, "organisation_id": str(first.id)})
    assert export.status_code == 200 and VICTIM in export.get_data(as_text=True)
    assert credential_links(export.get_data(as_text=True)) == []

    stored = db.session.execute(sa.select(OutgoingMessage.text_body, OutgoingMessage.html_body,
                                          OutgoingMessage.secret_link)).all()
    assert {"invitation", "confirm_subscription"} <= {m.template for m in outbox()}
    for text, html, secret_link in stored:
        assert credential_links(f"{text} {html} {secret_link}") == []


def test_a_worker_cannot_send_a_link_for_an_account_that_is_gone(
    smtp_app: Flask, relay: Relay, two_organisations: tuple[Organisation, Organisation, FlaskClient, FlaskClient],
) -> None:
    first, _, admin_a, _ = two_organisations
    invite(admin_a, first, "organiser")
    db.session.execute(sa.delete(User).where(User.email == VICTIM))
    db.session.commit()
    run_worker(once=True)
    (message,) = outbox("invitation")
    assert message.status.value == "failed" and "link unavailable" in message.last_error
    assert relay.received == []


def test_the_server_operator_prints_a_working_link_with_the_cli(
    app: Flask, two_organisations: tuple[Organisation, Organisation, FlaskClient, FlaskClient],
) -> None:
    first, _, admin_a, _ = two_organisations
    invite(admin_a, first, "organiser")
    result = app.test_cli_runner().invoke(args=["accounts", "link", VICTIM.upper()])
    (link,) = credential_links(result.output)
    form = {"password": "mijn eigen lange wachtwoord", "password_again": "mijn eigen lange wachtwoord"}
    assert app.test_client().post(link, data=form).status_code == 302
    refused = app.test_cli_runner().invoke(args=["accounts", "link", "niemand@example.org"])
    assert refused.exit_code != 0 and "geen actieve gebruiker" in refused.output
