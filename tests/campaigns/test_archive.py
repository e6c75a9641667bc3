"""The public archive: a campaign an officer opted in is readable on the web, without anyone's data."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask.testing import FlaskClient

from campaigns.models import Campaign, CampaignStatus
from extensions import db
from mailing.models import OutgoingMessage
from mailing.services import bodies
from tests.campaigns.helpers import path_of, signed_in
from tests.factories import confirm_and_send, make_campaign, make_contact, make_organisation


def _launch(client: FlaskClient, campaign: Campaign) -> OutgoingMessage:
    assert confirm_and_send(client, campaign).status_code == 302
    db.session.expire_all()
    return db.session.scalar(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id))


def test_officer_opts_a_campaign_in_and_its_mail_links_to_the_web_version(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="anna@example.org", name="Anna", municipality="Utrecht")
    campaign = make_campaign(organisation, subject="Pas op voor valse facturen")
    signed_in(client, organisation)
    assert client.post(f"/beheer/campagnes/{campaign.id}/archief").status_code == 302
    db.session.expire_all()
    assert campaign.public_archive is True
    sent = bodies(_launch(client, campaign))
    link = re.search(r'href="(http://localhost/archief/[^"]+)">Bekijk in uw browser', sent.html).group(1)
    assert link == f"http://localhost/archief/{organisation.slug}/{campaign.id}"
    assert "Beste Anna" in sent.text

    client.get("/beheer/uitloggen")
    web = client.get(path_of(link))
    page = web.get_data(as_text=True)
    assert web.status_code == 200 and "Beste lezer" in page
    for personal in ("Anna", "anna@example.org", "Utrecht", "/nieuwsbrief/afmelden/", "/nieuwsbrief/voorkeuren/",
                     "/nieuwsbrief/klik/", "Bekijk in uw browser"):
        assert personal not in page, personal
    assert f"http://localhost/nieuwsbrief/{organisation.slug}" in page
    policy = web.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "sandbox" in policy
    listing = client.get(f"/archief/{organisation.slug}").get_data(as_text=True)
    assert "Pas op voor valse facturen" in listing


def test_without_the_opt_in_nothing_is_public_and_the_mail_has_no_link(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation, subject="Alleen voor abonnees")
    signed_in(client, organisation)
    assert "Bekijk in uw browser" not in bodies(_launch(client, campaign)).html
    assert client.get(f"/archief/{organisation.slug}/{campaign.id}").status_code == 404
    assert "Alleen voor abonnees" not in client.get(f"/archief/{organisation.slug}").get_data(as_text=True)


def test_an_unsent_campaign_stays_out_of_the_archive_even_when_opted_in(client: FlaskClient) -> None:
    organisation = make_organisation()
    draft = make_campaign(organisation, public_archive=True, status=CampaignStatus.DRAFT)
    assert client.get(f"/archief/{organisation.slug}/{draft.id}").status_code == 404


def test_another_organisations_officer_cannot_switch_it(client: FlaskClient) -> None:
    campaign = make_campaign(make_organisation())
    signed_in(client, make_organisation())
    assert client.post(f"/beheer/campagnes/{campaign.id}/archief").status_code == 404
    db.session.expire_all()
    assert campaign.public_archive is False


def test_archive_of_one_organisation_does_not_show_anothers(client: FlaskClient) -> None:
    organisation = make_organisation()
    other = make_organisation()
    campaign = make_campaign(other, public_archive=True, status=CampaignStatus.SENT, subject="Van de buren")
    assert client.get(f"/archief/{organisation.slug}/{campaign.id}").status_code == 404
    assert "Van de buren" not in client.get(f"/archief/{organisation.slug}").get_data(as_text=True)
