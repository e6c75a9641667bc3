"""What bounces and complaints do to contacts and campaigns (reports through `mailing.bounces`)."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation
from campaigns.models import Campaign, CampaignStatus, Contact, ContactAudience, ContactStatus
from core.timeutils import utcnow
from extensions import db
from mailing.bounces import Finding, record
from mailing.models import BounceKind, BounceReport, MessageKind, MessageStatus, OutgoingMessage
from mailing.verp import return_path
from tests.campaigns.helpers import signed_in
from tests.factories import confirm_and_send, login, make_campaign, make_contact, make_message, make_organisation, make_user

FIXTURES = Path(__file__).parents[1] / "mailing" / "bounce_fixtures"


@pytest.fixture(autouse=True)
def bounce_domain(app: Flask) -> None:
    app.config["MAIL_BOUNCE_DOMAIN"] = "bounces.gemeente.example"


def row_for(contact: Contact, campaign: Campaign | None = None, **fields: object) -> OutgoingMessage:
    organisation = db.session.get_one(Organisation, contact.organisation_id)
    return make_message(organisation, **({"contact_id": contact.id, "to_address": contact.email,
                                          "kind": MessageKind.CAMPAIGN,
                                          "campaign_id": campaign.id if campaign else None} | fields))


def bounce(row: OutgoingMessage, kind: BounceKind, status: str | None = None, key: str | None = None) -> bool:
    outcome = record(row.id, Finding(kind, status_code=status, diagnostic="550 5.1.1 user unknown"),
                     key=key or f"{kind}-{row.id}-{status}", source="webhook")
    db.session.commit()
    return outcome.recorded


def pipe(app: Flask, fixture: str, row: OutgoingMessage) -> str:
    raw = (FIXTURES / fixture).read_text().replace("{return_path}", return_path(row.id, row.from_address))
    result = app.test_cli_runner().invoke(args=["mailing", "bounce"], input=raw.replace("{recipient}", row.to_address))
    return result.output.strip()


def fresh(contact: Contact) -> Contact:
    db.session.expire_all()
    return db.session.get_one(Contact, contact.id)


def test_a_hard_bounce_marks_the_contact_bounced_at_once_and_cancels_its_queued_campaign_mail(app: Flask) -> None:
    contact = make_contact(make_organisation())
    bounced_row = row_for(contact, status=MessageStatus.SENT)
    queued = row_for(contact, campaign_id=None)
    assert pipe(app, "dsn_postfix_hard.eml", bounced_row) == "hard"
    assert fresh(contact).status == ContactStatus.BOUNCED and fresh(contact).bounced_at is not None
    assert db.session.get_one(OutgoingMessage, queued.id).status == MessageStatus.CANCELLED


def test_three_soft_bounces_within_thirty_days_mark_the_contact_bounced(app: Flask) -> None:
    contact = make_contact(make_organisation())
    rows = [row_for(contact) for _ in range(3)]
    bounce(rows[0], BounceKind.SOFT, "4.2.2")
    bounce(rows[1], BounceKind.SOFT, "4.2.2")
    assert fresh(contact).status == ContactStatus.SUBSCRIBED
    bounce(rows[2], BounceKind.SOFT, "4.4.7")
    assert fresh(contact).status == ContactStatus.BOUNCED


def test_soft_bounces_older_than_the_window_do_not_count(app: Flask) -> None:
    contact = make_contact(make_organisation())
    rows = [row_for(contact) for _ in range(3)]
    bounce(rows[0], BounceKind.SOFT, "4.2.2")
    bounce(rows[1], BounceKind.SOFT, "4.2.2")
    db.session.execute(sa.update(BounceReport).values(received_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    bounce(rows[2], BounceKind.SOFT, "4.2.2")
    assert fresh(contact).status == ContactStatus.SUBSCRIBED


def test_the_soft_bounce_limit_is_configurable(app: Flask) -> None:
    app.config["BOUNCE_SOFT_LIMIT"] = 1
    contact = make_contact(make_organisation())
    bounce(row_for(contact), BounceKind.SOFT, "4.2.2")
    assert fresh(contact).status == ContactStatus.BOUNCED


def test_a_complaint_unsubscribes_and_marks_complained(app: Flask) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    contact = make_contact(organisation)
    row = row_for(contact, campaign, status=MessageStatus.SENT)
    assert pipe(app, "arf_complaint.eml", row) == "complaint"
    contact = fresh(contact)
    assert contact.status == ContactStatus.COMPLAINED and contact.unsubscribed_at is not None
    assert contact.unsubscribed_campaign_id == campaign.id
    bounce(row, BounceKind.HARD, "5.1.1")  # a later bounce does not undo the complaint
    assert fresh(contact).status == ContactStatus.COMPLAINED


def test_campaign_statistics_count_hard_soft_and_complaints_with_rates(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, status=CampaignStatus.SENT)
    contacts = [make_contact(organisation) for _ in range(8)]
    rows = [row_for(c, campaign, status=MessageStatus.SENT) for c in contacts]
    bounce(rows[0], BounceKind.HARD, "5.1.1")
    bounce(rows[1], BounceKind.HARD, "5.1.1")
    bounce(rows[2], BounceKind.SOFT, "4.2.2")
    bounce(rows[3], BounceKind.COMPLAINT)
    bounce(rows[3], BounceKind.COMPLAINT, key="same complaint again")  # one message, one complaint
    signed_in(client, organisation)
    text = client.get(f"/beheer/campagnes/{campaign.id}").get_data(as_text=True)
    assert "Hard teruggekomen (adres werkt niet)</th><td>2 (25.0%)" in text
    assert "Zacht teruggekomen (tijdelijk niet bezorgd)</th><td>1 (12.5%)" in text
    assert "Klachten (als spam gemeld)</th><td>1 (12.5%)" in text


def _launched_with(client: FlaskClient, organisation: Organisation, count: int) -> tuple[Campaign, list[OutgoingMessage]]:
    db.session.add_all([Contact(organisation_id=organisation.id, email=f"lezer{i}@example.org",
                                audience=ContactAudience.CITIZEN, status=ContactStatus.SUBSCRIBED,
                                confirmed_at=utcnow()) for i in range(count)])
    db.session.commit()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    assert confirm_and_send(client, campaign).status_code == 302
    rows = list(db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id)
                                   .order_by(OutgoingMessage.id)))
    assert len(rows) == count
    return campaign, rows


def _status(campaign: Campaign) -> CampaignStatus:
    db.session.expire_all()
    return db.session.get_one(Campaign, campaign.id).status


def test_a_campaign_pauses_itself_when_more_than_five_percent_of_its_first_500_bounce_hard(
        app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign, rows = _launched_with(client, organisation, 540)
    for row in rows[500:540]:  # after the first 500: not counted
        bounce(row, BounceKind.HARD, "5.1.1")
    for row in rows[:25]:  # exactly 5%
        bounce(row, BounceKind.HARD, "5.1.1")
    assert _status(campaign) == CampaignStatus.SENDING
    bounce(rows[25], BounceKind.HARD, "5.1.1")
    assert _status(campaign) == CampaignStatus.PAUSED
    held = db.session.scalar(sa.select(sa.func.count()).where(
        OutgoingMessage.campaign_id == campaign.id, OutgoingMessage.status == MessageStatus.QUEUED))
    assert held == 0
    text = client.get(f"/beheer/campagnes/{campaign.id}").get_data(as_text=True)
    assert "vanzelf gepauzeerd: 26 van de eerste 500 berichten kwamen hard terug" in text


def test_resumed_after_its_own_pause_it_does_not_pause_again(app: Flask, client: FlaskClient) -> None:
    app.config.update(BOUNCE_PAUSE_WINDOW=20)
    organisation = make_organisation()
    campaign, rows = _launched_with(client, organisation, 20)
    for row in rows[:2]:
        bounce(row, BounceKind.HARD, "5.1.1")
    assert _status(campaign) == CampaignStatus.PAUSED
    assert client.post(f"/beheer/campagnes/{campaign.id}/hervatten").status_code == 302
    bounce(rows[2], BounceKind.HARD, "5.1.1")
    assert _status(campaign) == CampaignStatus.SENDING


def test_soft_bounces_and_complaints_never_pause_a_campaign(app: Flask, client: FlaskClient) -> None:
    app.config.update(BOUNCE_PAUSE_WINDOW=20)
    campaign, rows = _launched_with(client, make_organisation(), 20)
    for row in rows[:5]:
        bounce(row, BounceKind.SOFT, "4.2.2")
    for row in rows[5:10]:
        bounce(row, BounceKind.COMPLAINT)
    assert _status(campaign) == CampaignStatus.SENDING


def test_the_contact_page_and_the_privacy_export_show_the_evidence(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, name="Wintermail")
    contact = make_contact(organisation, email="lotte@example.org")
    pipe(app, "dsn_gmail_hard.eml", row_for(contact, campaign, status=MessageStatus.SENT))
    signed_in(client, organisation)
    text = client.get(f"/beheer/contacten/{contact.id}").get_data(as_text=True)
    assert "Teruggekomen mail en klachten" in text and "5.1.1" in text and "Wintermail" in text
    assert "The email account that you tried to reach does not exist." in text
    login(client, make_user(organisation))
    response = client.post("/beheer/privacy/export", data={"email": "lotte@example.org",
                                                           "organisation_id": organisation.id})
    [exported] = json.loads(response.get_data(as_text=True))["data"]["contacts"]
    [evidence] = exported["bounces_and_complaints"]
    assert (evidence["kind"], evidence["status_code"], evidence["campaign"]) == ("hard", "5.1.1", "Wintermail")


def test_erasure_removes_the_bounce_evidence(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation, email="lotte@example.org")
    pipe(app, "dsn_postfix_hard.eml", row_for(contact, status=MessageStatus.SENT))
    login(client, make_user(organisation))
    response = client.post("/beheer/privacy/wissen", data={
        "wissen-email": "lotte@example.org", "wissen-organisation_id": organisation.id, "wissen-confirm": "y"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BounceReport)) == 0
    assert fresh(contact).status == ContactStatus.BOUNCED


def test_a_refusal_at_send_time_is_kept_as_a_hard_bounce_report(app: Flask) -> None:
    """The worker's 5.1.x path (`message_bounced` without a report) ends in the same rules."""
    from mailing.signals import message_bounced

    contact = make_contact(make_organisation())
    row = row_for(contact, status=MessageStatus.FAILED, smtp_response="550 5.1.1 No such user")
    message_bounced.send(app, message=row)
    [report] = db.session.scalars(sa.select(BounceReport))
    assert (report.kind, report.status_code, report.source) == (BounceKind.HARD, "5.1.1", "smtp")
    assert fresh(contact).status == ContactStatus.BOUNCED
