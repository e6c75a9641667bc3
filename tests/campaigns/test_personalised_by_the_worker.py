"""A launch queues a template reference and plain values per recipient; the worker personalises them
when it sends (the mail catcher does again on view), and fails only the row a template cannot be made for."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from campaigns.models import Campaign, Contact, ContactStatus
from extensions import db
from mailing.models import MailTemplate, MessageStatus, OutgoingMessage
from mailing.services import bodies
from mailing.worker import run_worker
from tests.campaigns.helpers import path_of, signed_in
from tests.factories import confirm_and_send, login, make_campaign, make_contact, make_organisation, make_user
from tests.mailing.conftest import Relay


def rows(campaign: Campaign) -> list[OutgoingMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id)
                                   .order_by(OutgoingMessage.id)))


def launched(client: FlaskClient, organisation: Organisation, campaign: Campaign) -> list[OutgoingMessage]:
    signed_in(client, organisation)
    assert confirm_and_send(client, campaign).status_code == 302
    return rows(campaign)


def test_launched_rows_reference_the_template_and_carry_plain_values(client: FlaskClient) -> None:
    organisation = make_organisation()
    anna = make_contact(organisation, email="anna@example.org", name="Anna", municipality="Utrecht")
    campaign = make_campaign(organisation)
    (row,) = launched(client, organisation, campaign)
    template = db.session.get(MailTemplate, row.template_id)
    assert template.organisation_id == organisation.id and "{{" in template.html_source
    assert row.context["contact"] == {"name": "Anna", "email": "anna@example.org", "municipality": "Utrecht"}
    assert row.context["unsubscribe_url"] == f"http://localhost/nieuwsbrief/afmelden/{anna.link_token}.{campaign.id}"
    assert row.context["preferences_url"] == f"http://localhost/nieuwsbrief/voorkeuren/{anna.link_token}"
    assert row.headers["List-Unsubscribe"] == f"<{row.context['unsubscribe_url']}>"
    assert row.status == MessageStatus.QUEUED and row.html_body is None and row.text_body == ""
    shown = bodies(row)  # what the mail catcher shows: personalised on view
    assert "Beste Anna" in shown.text and row.context["unsubscribe_url"] in shown.html


def test_every_contact_gets_its_own_unguessable_link_token(client: FlaskClient) -> None:
    organisation = make_organisation()
    tokens = {make_contact(organisation).link_token for _ in range(3)}
    assert len(tokens) == 3 and all(len(token) == 32 for token in tokens)


def test_worker_sends_the_rows_personalised(smtp_app: Flask, client: FlaskClient,
                                                                 relay: Relay) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="anna@example.org", name="Anna")
    make_contact(organisation, email="bob@example.org", name="Bob")
    campaign = make_campaign(organisation)
    launched(client, organisation, campaign)
    assert run_worker(once=True) == 2
    received = {message["To"].addresses[0].addr_spec: message for message in relay.received}
    assert "Beste Anna" in received["anna@example.org"].get_body(("html",)).get_content()
    assert "Beste Bob" in received["bob@example.org"].get_body(("plain",)).get_content()
    for row in rows(campaign):
        assert row.status == MessageStatus.SENT and row.html_body is None  # not stored: personalised on view


def test_a_template_failing_at_send_time_fails_only_that_row(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="anna@example.org", name="Anna")
    make_contact(organisation, email="naamloos@example.org", name=None)
    campaign = make_campaign(organisation)
    campaign.mjml_source = campaign.mjml_source.replace("<ol>", "<p>{{ contact.name.upper() }}</p><ol>", 1)
    db.session.commit()
    launched(client, organisation, campaign)
    assert run_worker(once=True) == 1
    sent, failed = sorted(rows(campaign), key=lambda row: row.status != MessageStatus.SENT)
    assert sent.to_address == "anna@example.org" and "ANNA" in bodies(sent).html
    assert failed.status == MessageStatus.FAILED and failed.to_address == "naamloos@example.org"
    assert failed.last_error.startswith("template error:") and failed.attempts == 1


def test_unsubscribe_link_of_a_sent_mail_shows_the_page_and_takes_the_one_click_post(
        smtp_app: Flask, client: FlaskClient, relay: Relay) -> None:
    organisation = make_organisation()
    anna = make_contact(organisation, email="anna@example.org", name="Anna")
    campaign = make_campaign(organisation)
    launched(client, organisation, campaign)
    assert run_worker(once=True) == 1
    (mail,) = relay.received
    link = mail["List-Unsubscribe"].strip("<> ")
    visitor = client.application.test_client()
    page = visitor.get(path_of(link))
    assert page.status_code == 200 and "anna@example.org" in page.get_data(as_text=True)
    assert visitor.get(path_of(link)[:-len(f".{campaign.id}")].replace(anna.link_token[:4], "xxxx")).status_code == 404
    assert visitor.post(path_of(link), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.session.expire_all()
    contact = db.session.get(Contact, anna.id)
    assert contact.status == ContactStatus.UNSUBSCRIBED and contact.unsubscribed_campaign_id == campaign.id
    preferences = mail.get_body(("html",)).get_content()
    assert f"/nieuwsbrief/voorkeuren/{anna.link_token}" in preferences
    assert visitor.get(f"/nieuwsbrief/voorkeuren/{anna.link_token}").status_code == 200


def test_mail_catcher_shows_a_campaign_row_personalised_to_the_organisations_admin(client: FlaskClient) -> None:
    """Viewing the outbox takes VIEW_MAIL, which admins and communication officers hold."""
    organisation = make_organisation()
    anna = make_contact(organisation, email="anna@example.org", name="Anna")
    campaign = make_campaign(organisation)
    (row,) = launched(client, organisation, campaign)
    assert client.get(f"/beheer/mail/{row.id}").status_code == 200  # the officer sees it too
    login(client, make_user(organisation, Role.ADMIN))
    listing = client.get(f"/beheer/mail/?organisatie={organisation.id}")
    assert listing.status_code == 200 and "anna@example.org" in listing.get_data(as_text=True)
    page = client.get(f"/beheer/mail/{row.id}").get_data(as_text=True)
    assert "Beste Anna" in page and f"afmelden/{anna.link_token}.{campaign.id}" in page
    assert "List-Unsubscribe-Post" in page
    html = client.get(f"/beheer/mail/{row.id}/html")
    assert html.status_code == 200 and "Beste Anna" in html.get_data(as_text=True)
