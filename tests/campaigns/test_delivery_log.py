"""The delivery log of a campaign: each recipient with what became of the mail, searchable, paged, as CSV."""
from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from campaigns.models import Campaign, Contact, ContactStatus
from campaigns.services import delivery
from core.audit import AuditEntry
from core.timeutils import utcnow
from extensions import db
from mailing.models import BounceKind, BounceReport, MessageStatus, OutgoingMessage
from tests.campaigns.helpers import signed_in
from tests.factories import (
    confirm_and_send,
    login,
    make_campaign,
    make_contact,
    make_organisation,
    make_user,
)


def row_of(campaign: Campaign, email: str) -> OutgoingMessage:
    return db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id,
                                                               OutgoingMessage.to_address == email)).one()


def sent_campaign(client: FlaskClient) -> Campaign:
    """Five recipients: one sent, one refused by the relay, one bounced, one unsubscribed, one queued."""
    organisation = make_organisation()
    for name in ("verstuurd", "geweigerd", "terug", "afgemeld", "wacht"):
        make_contact(organisation, email=f"{name}@example.org", name=name.title())
    campaign = make_campaign(organisation, name="Najaarscampagne")
    signed_in(client, organisation)
    assert confirm_and_send(client, campaign).status_code == 302
    now = utcnow()
    row_of(campaign, "verstuurd@example.org").status = MessageStatus.SENT
    row_of(campaign, "verstuurd@example.org").sent_at = now
    refused = row_of(campaign, "geweigerd@example.org")
    refused.status, refused.smtp_response = MessageStatus.FAILED, "550 5.7.1 Relaying denied"
    bounced = row_of(campaign, "terug@example.org")
    bounced.status, bounced.sent_at = MessageStatus.SENT, now
    db.session.add(BounceReport(fingerprint="f" * 64, message_id=bounced.id, organisation_id=organisation.id,
                                campaign_id=campaign.id, contact_id=bounced.contact_id, kind=BounceKind.HARD,
                                status_code="5.1.1", source="pipe"))
    left = row_of(campaign, "afgemeld@example.org")
    left.status, left.sent_at = MessageStatus.SENT, now
    contact = db.session.get_one(Contact, left.contact_id)
    contact.status, contact.unsubscribed_campaign_id = ContactStatus.UNSUBSCRIBED, campaign.id
    db.session.commit()
    return campaign


def test_every_recipient_is_listed_with_what_became_of_the_mail(client: FlaskClient) -> None:
    campaign = sent_campaign(client)

    rows, total = delivery.delivery_page(campaign, None, None, 1)

    assert total == 5
    assert {row.email: row.status.value for row in rows} == {
        "afgemeld@example.org": "unsubscribed", "geweigerd@example.org": "failed", "terug@example.org": "bounced",
        "verstuurd@example.org": "sent", "wacht@example.org": "queued"}
    page = client.get(f"/beheer/campagnes/{campaign.id}/bezorging").get_data(as_text=True)
    assert "550 5.7.1 Relaying denied" in page and "Afgemeld via deze campagne" in page
    assert "Onbestelbaar (teruggekomen)" in page and "5 ontvangers gevonden" in page
    [entry] = db.session.scalars(sa.select(AuditEntry)).all()
    assert (entry.action, entry.record_id) == ("campaign.delivery_viewed", campaign.id)


def test_search_and_status_filter_narrow_the_list(client: FlaskClient) -> None:
    campaign = sent_campaign(client)
    url = f"/beheer/campagnes/{campaign.id}/bezorging"
    page = client.get(url, query_string={"zoek": "GEWEIGERD"}).get_data(as_text=True)
    assert "1 ontvanger gevonden" in page and "geweigerd@example.org" in page and "wacht@example.org" not in page
    page = client.get(url, query_string={"status": "queued"}).get_data(as_text=True)
    assert "wacht@example.org" in page and "verstuurd@example.org" not in page
    assert client.get(url, query_string={"status": "onzin", "zoek": "x" * 5000}).status_code == 200


def test_the_log_is_paged(client: FlaskClient) -> None:
    organisation = make_organisation()
    for n in range(delivery.PAGE_SIZE + 3):
        make_contact(organisation, email=f"lezer{n:03}@example.org")
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    confirm_and_send(client, campaign)
    url = f"/beheer/campagnes/{campaign.id}/bezorging"
    first, second = client.get(url).get_data(as_text=True), client.get(url + "?pagina=2").get_data(as_text=True)
    assert "lezer000@example.org" in first and "lezer052@example.org" not in first
    assert "lezer052@example.org" in second and "Pagina 2 van 2" in second
    assert client.get(url + "?pagina=999999999").status_code == 404


def test_the_csv_export_has_every_recipient_with_status_and_answer(client: FlaskClient) -> None:
    campaign = sent_campaign(client)
    response = client.get(f"/beheer/campagnes/{campaign.id}/bezorging.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and text.startswith("\ufeffemail;naam;status")
    lines = text.strip().splitlines()
    assert len(lines) == 6
    assert "geweigerd@example.org;Geweigerd;Mislukt;;550 5.7.1 Relaying denied" in lines
    filtered = client.get(f"/beheer/campagnes/{campaign.id}/bezorging.csv?status=sent").get_data(as_text=True)
    assert filtered.strip().splitlines()[1:] == [line for line in lines if ";Verstuurd;" in line]
    assert "campaign.delivery_exported" in db.session.scalars(sa.select(AuditEntry.action)).all()


def test_who_may_read_the_delivery_log(client: FlaskClient) -> None:
    campaign = sent_campaign(client)
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    urls = (f"/beheer/campagnes/{campaign.id}/bezorging", f"/beheer/campagnes/{campaign.id}/bezorging.csv")
    client.post("/beheer/uitloggen")
    for url in urls:
        assert "/beheer/inloggen" in client.get(url).headers["Location"]
    for role in (Role.ORGANISER, Role.CHECKIN):
        login(client, make_user(organisation, role))
        assert [client.get(url).status_code for url in urls] == [403, 403]
        client.post("/beheer/uitloggen")
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert [client.get(url).status_code for url in urls] == [404, 404]
