"""Launching a campaign: bulk outbox rows, the relay receives each recipient once with RFC 8058 headers;
double launch, editing while sending, pause/resume/cancel, scheduling, bounces."""
from __future__ import annotations

import threading
from datetime import timedelta

import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from campaigns.models import Campaign, CampaignStatus, Contact, ContactStatus
from campaigns.services.sending import launch_due, write_outbox_rows
from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from mailing.worker import run_worker
from tests.campaigns.helpers import path_of, signed_in
from tests.conftest import LiveServer
from tests.factories import (
    PASSWORD,
    confirm_and_schedule,
    confirm_and_send,
    make_campaign,
    make_contact,
    make_organisation,
    make_user,
    shown_fingerprint,
)
from tests.mailing.conftest import Relay


def rows(campaign: Campaign) -> list[OutgoingMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id)
                                   .order_by(OutgoingMessage.id)))



def test_launch_reaches_each_subscribed_contact_once_through_the_relay(smtp_app: Flask, client: FlaskClient,
                                                                     relay: Relay) -> None:
    organisation = make_organisation(reply_to="info@gemeente.example")
    anna = make_contact(organisation, email="anna@example.org", name="Anna")
    make_contact(organisation, email="bob@example.org", name=None)
    for status in (ContactStatus.UNCONFIRMED, ContactStatus.UNSUBSCRIBED, ContactStatus.BOUNCED):
        make_contact(organisation, email=f"{status.value}@example.org", status=status)
    make_contact(make_organisation(), email="other-organisation@example.org")
    campaign = make_campaign(organisation, subject="Herken phishing")
    signed_in(client, organisation)
    assert confirm_and_send(client, campaign).status_code == 302
    assert run_worker(once=True) == 2
    assert relay.handler.count_by_recipient() == {"anna@example.org": 1, "bob@example.org": 1}
    received = {message["To"].addresses[0].addr_spec: message for message in relay.received}
    mail = received["anna@example.org"]
    assert mail["Subject"] == "Herken phishing"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_link = mail["List-Unsubscribe"].split(",")[0].strip("<> ")
    assert https_link.startswith("http://localhost/nieuwsbrief/afmelden/")
    assert "<mailto:info@gemeente.example?subject=afmelden>" in mail["List-Unsubscribe"]
    html = mail.get_body(("html",)).get_content()
    assert "Beste Anna" in html and https_link in html
    assert "Beste lezer" in received["bob@example.org"].get_body(("html",)).get_content()
    assert client.post(path_of(https_link), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Contact, anna.id).status == ContactStatus.UNSUBSCRIBED
    page = client.get(f"/beheer/campagnes/{campaign.id}").get_data(as_text=True)
    assert "Verstuurd" in page
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.SENT


def test_writing_the_rows_again_duplicates_nothing(client: FlaskClient) -> None:
    organisation = make_organisation()
    for _ in range(3):
        make_contact(organisation)
    campaign = make_campaign(organisation)
    assert write_outbox_rows(campaign) == 3
    assert write_outbox_rows(campaign) == 3
    assert len(rows(campaign)) == 3
    headers = rows(campaign)[0].headers  # no reply-to address: only the one-click link
    assert headers["List-Unsubscribe"].startswith("<http://localhost/nieuwsbrief/afmelden/")
    assert "mailto" not in headers["List-Unsubscribe"]


def test_second_launch_is_refused_and_sends_nothing_more(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    assert confirm_and_send(client, campaign).status_code == 302
    again = confirm_and_send(client, campaign)
    assert again.status_code == 409 and "al gestart" in again.get_data(as_text=True)
    assert len(rows(campaign)) == 1


def test_double_click_launch_at_the_same_moment_launches_once(app: Flask, live_server: LiveServer) -> None:
    organisation = make_organisation()
    for _ in range(50):
        make_contact(organisation)
    campaign = make_campaign(organisation)
    user = make_user(organisation, Role.COMMUNICATIONS)
    session = requests.Session()
    session.post(f"{live_server.url}/beheer/inloggen", data={"email": user.email, "password": PASSWORD})
    codes: list[int] = []
    barrier = threading.Barrier(2)
    url = f"{live_server.url}/beheer/campagnes/{campaign.id}/versturen"
    confirmed = {"vingerafdruk": shown_fingerprint(session.get(url).text)}

    def click() -> None:
        barrier.wait()
        codes.append(session.post(url, data=confirmed, allow_redirects=False).status_code)

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert sorted(codes) == [302, 409]
    assert len(rows(campaign)) == 50


def test_editing_while_sending_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation, subject="Oud onderwerp")
    signed_in(client, organisation)
    confirm_and_send(client, campaign)
    assert client.get(f"/beheer/campagnes/{campaign.id}/bewerken").status_code == 409
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data={"subject": "Nieuw"})
    assert response.status_code == 409 and "aanpassen kan niet meer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).subject == "Oud onderwerp"


def test_pause_holds_the_rest_resume_sends_it_cancel_stops_it(smtp_app: Flask, client: FlaskClient,
                                                            relay: Relay) -> None:
    organisation = make_organisation()
    for _ in range(4):
        make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    confirm_and_send(client, campaign)
    assert client.post(f"/beheer/campagnes/{campaign.id}/pauzeren").status_code == 302
    assert run_worker(once=True) == 0 and relay.count() == 0
    progress = client.get(f"/beheer/campagnes/{campaign.id}/voortgang.json").get_json()
    assert progress["status"] == "paused" and progress["counts"]["cancelled"] == 4
    assert client.post(f"/beheer/campagnes/{campaign.id}/pauzeren").status_code == 409
    assert client.post(f"/beheer/campagnes/{campaign.id}/hervatten").status_code == 302
    assert run_worker(once=True) == 4 and relay.count() == 4
    assert client.get(f"/beheer/campagnes/{campaign.id}/voortgang.json").get_json()["percent"] == 100


def test_cancel_stops_the_queued_rows_for_good(client: FlaskClient) -> None:
    organisation = make_organisation()
    for _ in range(3):
        make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    confirm_and_send(client, campaign)
    client.post(f"/beheer/campagnes/{campaign.id}/pauzeren")
    assert client.post(f"/beheer/campagnes/{campaign.id}/annuleren").status_code == 302
    assert {row.status for row in rows(campaign)} == {MessageStatus.CANCELLED}
    assert client.post(f"/beheer/campagnes/{campaign.id}/hervatten").status_code == 409
    assert {row.status for row in rows(campaign)} == {MessageStatus.CANCELLED}


def test_scheduled_campaign_is_launched_by_tick_when_due(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    moment = (utcnow() + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    assert confirm_and_schedule(client, campaign, moment).status_code == 302
    assert launch_due() == [] and rows(campaign) == []
    db.session.get(Campaign, campaign.id).scheduled_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["campaigns", "tick"])
    assert f"campaign {campaign.id}: launched, 1 messages queued" in result.output
    assert len(rows(campaign)) == 1 and db.session.get(Campaign, campaign.id).status == CampaignStatus.SENDING


def test_scheduling_in_the_past_is_refused(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    response = confirm_and_schedule(client, campaign, "2020-01-01T10:00")
    assert response.status_code == 409 and "in de toekomst" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT


def test_launch_without_recipients_is_refused(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation, status=ContactStatus.UNCONFIRMED)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    response = confirm_and_send(client, campaign)
    assert response.status_code == 409 and "geen bevestigde ontvangers" in response.get_data(as_text=True)
    assert rows(campaign) == []


def test_hard_bounce_marks_the_contact_and_the_next_campaign_skips_it(smtp_app: Flask, client: FlaskClient,
                                                                    relay: Relay) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="weg@example.org")
    make_contact(organisation, email="er@example.org")
    relay.refuse("weg@example.org", "550 5.1.1 User unknown")
    first = make_campaign(organisation)
    signed_in(client, organisation)
    confirm_and_send(client, first)
    run_worker(once=True)
    db.session.expire_all()
    bounced = db.session.scalar(sa.select(Contact.status).where(Contact.email == "weg@example.org"))
    assert bounced == ContactStatus.BOUNCED
    assert "Onbestelbaar" in client.get(f"/beheer/campagnes/{first.id}").get_data(as_text=True)
    second = make_campaign(organisation)
    confirm_and_send(client, second)
    assert [row.to_address for row in rows(second)] == ["er@example.org"]


def test_a_due_campaign_that_can_no_longer_be_sent_goes_back_to_draft(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    reader = make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    moment = (utcnow() + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    confirm_and_schedule(client, campaign, moment)
    reader.status = ContactStatus.UNSUBSCRIBED
    db.session.get(Campaign, campaign.id).scheduled_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    (outcome,) = launch_due()
    assert outcome[1].startswith("not launched") and "geen bevestigde ontvangers" in outcome[1]
    assert fresh_status(campaign) == CampaignStatus.DRAFT and rows(campaign) == []


def fresh_status(campaign: Campaign) -> CampaignStatus:
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id).status


def test_a_large_audience_is_launched_by_the_next_tick_not_in_the_request(app: Flask, client: FlaskClient) -> None:
    app.config["CAMPAIGN_INLINE_LAUNCH_LIMIT"] = 2
    organisation = make_organisation()
    for _ in range(3):
        make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    response = confirm_and_send(client, campaign, follow_redirects=True)
    assert "binnen een minuut gestart" in response.get_data(as_text=True)
    assert fresh_status(campaign) == CampaignStatus.SCHEDULED and rows(campaign) == []
    confirm_and_send(client, campaign)  # a second click changes nothing
    assert fresh_status(campaign) == CampaignStatus.SCHEDULED and rows(campaign) == []
    assert launch_due() == [(campaign.id, "launched, 3 messages queued")]
    assert fresh_status(campaign) == CampaignStatus.SENDING and len(rows(campaign)) == 3
