"""The communication officer reads their organisation's outgoing mail, never another's and never a
working credential link; the regional admin searches every mailbox at once; mail types have names."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from extensions import db
from mailing.labels import TEMPLATE_LABELS
from tests.factories import login, make_message, make_organisation, make_user, outbox
from tests.mailing.conftest import Relay

CREDENTIAL_LINK = re.compile(r"/(?:beheer/uitnodiging|beheer/wachtwoord|nieuwsbrief/bevestigen)/[^\s\"'<>&]+")


def test_the_officer_reads_their_organisations_mail_with_the_admin_menu(client: FlaskClient) -> None:
    organisation, other = make_organisation(), make_organisation()
    ours = make_message(organisation, subject="Onze aanmelding")
    theirs = make_message(other, subject="Hun aanmelding")
    login(client, make_user(organisation, Role.COMMUNICATIONS))

    listing = client.get("/beheer/mail/").get_data(as_text=True)
    assert "Onze aanmelding" in listing and "Hun aanmelding" not in listing
    assert "Bevestiging aanmelding" in listing and ">registration_confirmed<" not in listing  # a human name
    assert 'href="/beheer/campagnes/"' in listing  # the admin menu
    assert client.get(f"/beheer/mail/{ours.id}").status_code == 200
    assert client.get(f"/beheer/mail/{theirs.id}").status_code == 404
    assert client.get(f"/beheer/mail/?organisatie={other.id}").status_code == 404
    assert client.get("/beheer/mail/?organisatie=systeem").status_code == 404
    assert client.get("/beheer/mail/?organisatie=alle").status_code == 404


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.CHECKIN])
def test_roles_without_mail_get_no_menu_link_and_a_refusal_inside_the_admin(client: FlaskClient,
                                                                          role: Role) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, role))
    assert 'href="/beheer/mail/"' not in client.get("/beheer/").get_data(as_text=True)
    refused = client.get("/beheer/mail/")
    assert refused.status_code == 403
    assert 'href="/beheer/"' in refused.get_data(as_text=True) and "Uitloggen" in refused.get_data(as_text=True)


def test_an_officer_never_sees_a_working_link_of_an_invitation_in_their_mailbox(
        smtp_app: Flask, relay: Relay) -> None:
    organisation = make_organisation()
    admin, officer = smtp_app.test_client(), smtp_app.test_client()
    login(admin, make_user(organisation, Role.ADMIN))
    login(officer, make_user(organisation, Role.COMMUNICATIONS))
    assert admin.post(f"/beheer/organisaties/{organisation.id}/gebruikers",
                      data={"name": "Nieuwe Collega", "email": "nieuw@example.org", "role": "organiser"}).status_code == 302
    [invitation] = outbox("invitation")
    assert invitation.organisation_id == organisation.id

    pages = [officer.get(url) for url in ("/beheer/mail/", f"/beheer/mail/{invitation.id}",
                                          f"/beheer/mail/{invitation.id}/html")]
    assert [page.status_code for page in pages] == [200, 200, 200]
    texts = [page.get_data(as_text=True) for page in pages]
    assert "Uitnodiging voor een account" in texts[0]
    assert any("/beheer/verborgen-link" in text for text in texts[1:])
    assert [CREDENTIAL_LINK.findall(text) for text in texts] == [[], [], []]


def test_the_regional_admin_searches_every_mailbox_at_once(client: FlaskClient) -> None:
    first, second = make_organisation(name="Gemeente Een"), make_organisation(name="Gemeente Twee")
    make_message(first, to_address="anna@example.org", subject="Bericht aan Anna in Een")
    make_message(second, to_address="anna@example.org", subject="Bericht aan Anna in Twee")
    make_message(None, to_address="anna@example.org", subject="Systeembericht aan Anna", template="password_reset")
    make_message(second, to_address="bob@example.org", subject="Bericht aan Bob")
    regional = make_user(first, Role.ADMIN)
    regional.is_regional_admin = True
    db.session.commit()
    login(client, regional)

    page = client.get("/beheer/mail/", query_string={"organisatie": "alle", "ontvanger": "anna"}).get_data(as_text=True)

    assert "3 berichten gevonden" in page
    for subject in ("Bericht aan Anna in Een", "Bericht aan Anna in Twee", "Systeembericht aan Anna"):
        assert subject in page
    assert "Bericht aan Bob" not in page and "Gemeente Twee" in page and "Nieuw wachtwoord instellen" in page


def test_every_mail_the_features_queue_has_a_human_name() -> None:
    """Read from the source, so a new kind of mail without a name fails here."""
    used = set()
    for package in ("accounts", "events", "effect", "campaigns"):
        for path in Path(package).rglob("*.py"):
            text = path.read_text()
            used |= set(re.findall(r'template="([a-z_]+)"', text))
            used |= set(re.findall(r'_(?:send|compose)\((?:registration|user|membership\.user), "([a-z_]+)"', text))
            used |= set(re.findall(r'^TEMPLATE_NAME = "([a-z_]+)"', text, re.MULTILINE))
    assert len(used) > 10
    assert sorted(used - TEMPLATE_LABELS.keys()) == []
