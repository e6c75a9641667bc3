"""Versturen and inplannen ask for one more click on a page that says what will be sent; the click
sends only what that page showed. Duplicating copies content, audience and sender, nothing else."""
from __future__ import annotations

import http.server
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Role
from campaigns.models import Campaign, CampaignStatus, TrackedLink
from core.timeutils import utcnow
from extensions import db
from mailing.models import OutgoingMessage
from tests.campaigns.helpers import form_of, signed_in
from tests.factories import (
    confirm_and_send,
    login,
    make_campaign,
    make_contact,
    make_contact_list,
    make_organisation,
    make_user,
    shown_fingerprint,
)


def rows(campaign: Campaign) -> list[OutgoingMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id)))


def status_of(campaign: Campaign) -> CampaignStatus:
    db.session.expire_all()
    return db.session.get_one(Campaign, campaign.id).status


def test_the_confirmation_page_says_what_will_be_sent_and_sends_nothing(client: FlaskClient) -> None:
    organisation = make_organisation()
    newsletter = make_contact_list(organisation, name="Ondernemers Noord")
    for _ in range(3):
        make_contact(organisation, lists=[newsletter])
    make_contact(organisation)  # not on the list
    campaign = make_campaign(organisation, subject="Phishing herkennen", list_id=newsletter.id)
    signed_in(client, organisation)

    page = client.get(f"/beheer/campagnes/{campaign.id}/versturen").get_data(as_text=True)

    assert "Phishing herkennen" in page and campaign.sender_address in page
    assert "Op de lijst “Ondernemers Noord”" in page
    assert '<dd id="confirm-count">3</dd>' in page and "Ja, nu versturen naar 3 ontvangers" in page
    assert "De afmeldlink staat in de mail, zichtbaar" in page  # the pre-flight result
    assert shown_fingerprint(page) and rows(campaign) == [] and status_of(campaign) == CampaignStatus.DRAFT


def test_a_click_without_the_confirmation_sends_nothing(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    for data in ({}, {"vingerafdruk": "0" * 64}):
        response = client.post(f"/beheer/campagnes/{campaign.id}/versturen", data=data)
        assert response.status_code == 409 and "Versturen bevestigen" in response.get_data(as_text=True)
    assert rows(campaign) == [] and status_of(campaign) == CampaignStatus.DRAFT


def test_a_subject_changed_after_the_confirmation_page_refuses_the_click_and_shows_the_new_one(
        client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation, subject="Oud onderwerp")
    signed_in(client, organisation)
    url = f"/beheer/campagnes/{campaign.id}/versturen"
    confirmed = shown_fingerprint(client.get(url).get_data(as_text=True))
    # A colleague edits the campaign in another tab.
    assert client.post(f"/beheer/campagnes/{campaign.id}/bewerken",
                       data=form_of(campaign, subject="Nieuw onderwerp")).status_code == 302

    response = client.post(url, data={"vingerafdruk": confirmed})

    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'id="changed"' in page and "Nieuw onderwerp" in page
    assert rows(campaign) == []
    assert client.post(url, data={"vingerafdruk": shown_fingerprint(page)}).status_code == 302
    assert [row.subject for row in rows(campaign)] == ["Nieuw onderwerp"]


def test_a_recipient_count_that_moved_refuses_the_click(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    url = f"/beheer/campagnes/{campaign.id}/versturen"
    confirmed = shown_fingerprint(client.get(url).get_data(as_text=True))
    make_contact(organisation)

    assert client.post(url, data={"vingerafdruk": confirmed}).status_code == 409
    assert rows(campaign) == []


def test_scheduling_needs_its_own_confirmation_for_that_moment(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    url = f"/beheer/campagnes/{campaign.id}/inplannen"
    moment = (utcnow() + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    later = (utcnow() + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    page = client.get(url, query_string={"moment": moment}).get_data(as_text=True)
    assert "Inplannen bevestigen" in page and "Ja, inplannen voor 1 ontvanger" in page
    assert status_of(campaign) == CampaignStatus.DRAFT

    # The confirmation was for another moment: refused.
    assert client.post(url, data={"moment": later, "vingerafdruk": shown_fingerprint(page)}).status_code == 409
    assert status_of(campaign) == CampaignStatus.DRAFT
    assert client.post(url, data={"moment": moment, "vingerafdruk": shown_fingerprint(page)}).status_code == 302
    assert status_of(campaign) == CampaignStatus.SCHEDULED


def test_duplicate_copies_content_audience_and_sender_but_not_state_schedule_or_statistics(
        client: FlaskClient) -> None:
    organisation = make_organisation()
    newsletter = make_contact_list(organisation)
    make_contact(organisation, lists=[newsletter])
    original = make_campaign(organisation, name="Nieuwsbrief november", subject="November", list_id=newsletter.id,
                             preheader="Wat er speelt", track_clicks=True)
    signed_in(client, organisation)
    assert confirm_and_send(client, original).status_code == 302

    response = client.post(f"/beheer/campagnes/{original.id}/kopieren")

    db.session.expire_all()
    copy = db.session.scalars(sa.select(Campaign).where(Campaign.id != original.id)).one()
    assert response.headers["Location"].endswith(f"/beheer/campagnes/{copy.id}")
    assert copy.name == "Kopie van Nieuwsbrief november"
    assert (copy.subject, copy.preheader, copy.mjml_source, copy.list_id, copy.sender_address, copy.track_clicks) == (
        "November", "Wat er speelt", original.mjml_source, newsletter.id, original.sender_address, True)
    assert (copy.status, copy.scheduled_at, copy.launched_at, copy.finished_at) == (CampaignStatus.DRAFT, None, None, None)
    assert rows(copy) == [] and len(rows(original)) == 1
    assert db.session.scalars(sa.select(TrackedLink).where(TrackedLink.campaign_id == copy.id)).all() == []


def test_who_may_confirm_and_duplicate(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    login(client, make_user(organisation, Role.ORGANISER))
    for url in (f"/beheer/campagnes/{campaign.id}/versturen", f"/beheer/campagnes/{campaign.id}/inplannen"):
        assert client.get(url).status_code == 403
    assert client.post(f"/beheer/campagnes/{campaign.id}/kopieren").status_code == 403
    client.post("/beheer/uitloggen")
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get(f"/beheer/campagnes/{campaign.id}/versturen").status_code == 404
    assert client.post(f"/beheer/campagnes/{campaign.id}/kopieren").status_code == 404
    assert client.post(f"/beheer/campagnes/{campaign.id}/versturen",
                       data={"vingerafdruk": "0" * 64}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1


class CountingSite:
    """A web site on loopback that counts the requests for each path (404 for /stuk)."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                site.hits[self.path] = site.hits.get(self.path, 0) + 1
                self.send_response(404 if self.path == "/stuk" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_the_confirmation_checks_the_links_like_the_pre_flight_and_once_per_content(client: FlaskClient) -> None:
    site = CountingSite()
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    campaign.mjml_source = campaign.mjml_source.replace(
        "<ol>", f'<p><a href="{site.url}/goed">goed</a> <a href="{site.url}/stuk">stuk</a></p><ol>', 1)
    db.session.commit()
    signed_in(client, organisation)
    client.application.config["LINK_CHECK_ALLOWED_NETWORKS"] = "127.0.0.1/32"  # loopback only
    try:
        checks = client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
        first = client.get(f"/beheer/campagnes/{campaign.id}/versturen").get_data(as_text=True)
        again = client.get(f"/beheer/campagnes/{campaign.id}/versturen").get_data(as_text=True)
        assert all(f"{site.url}/stuk (404)" in page for page in (checks, first, again))
        assert site.hits["/goed"] == site.hits["/stuk"] and site.hits["/stuk"] <= 2  # one check (a HEAD, a GET)
        checked_once = dict(site.hits)
        campaign = db.session.get_one(Campaign, campaign.id)
        campaign.mjml_source = campaign.mjml_source.replace("/stuk", "/ook-goed")
        db.session.commit()
        changed = client.get(f"/beheer/campagnes/{campaign.id}/versturen").get_data(as_text=True)
        assert "/stuk (404)" not in changed and "/ook-goed" in site.hits and site.hits["/goed"] > checked_once["/goed"]
    finally:
        site.server.shutdown()
        site.server.server_close()
