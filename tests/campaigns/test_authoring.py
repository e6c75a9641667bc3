"""Authoring: the template library, the editor with line-numbered errors and the kept render, the
sandboxed preview, pre-flight checks, test sends and the invitation's attributed sign-up links."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from campaigns.models import Campaign
from campaigns.services import editor
from core.timeutils import utcnow
from events.models import Registration
from extensions import db
from mailing.services import bodies
from mailing.worker import run_worker
from tests.campaigns.helpers import form_of, signed_in
from tests.conftest import LiveServer
from tests.factories import (
    confirm_and_send,
    make_campaign,
    make_contact,
    make_event,
    make_organisation,
    outbox,
    signup_url,
)
from tests.mailing.conftest import Relay


def fresh(campaign: Campaign) -> Campaign:
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id)


def test_each_library_template_makes_a_campaign_that_renders(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    for template in ("awareness", "invitation", "newsletter", "follow_up"):
        response = client.post(f"/beheer/campagnes/nieuw?organisatie={organisation.id}",
                               data={"name": f"Campagne {template}", "template": template})
        assert response.status_code == 302
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.template_key == template))
        assert "<mjml" in campaign.mjml_source and "unsubscribe_url" in campaign.mjml_source
        assert "Voorbeeld Lezer" in campaign.rendered_html
        assert client.get(response.location).status_code == 200


@pytest.mark.parametrize(("template", "visual"), [
    ("blank", True), ("newsletter", True), ("follow_up", True),
    # These two draw lists the server fills (the chosen events, the self-help pages) with their own code.
    ("awareness", False), ("invitation", False),
])
def test_the_shipped_designs_the_visual_editor_can_make_open_in_it(client: FlaskClient, template: str,
                                                                    visual: bool) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/nieuw?organisatie={organisation.id}",
                           data={"name": f"Campagne {template}", "template": template})
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.template_key == template))
    assert response.location.endswith(f"/beheer/campagnes/{campaign.id}/{'ontwerp' if visual else 'bewerken'}")
    page = client.get(response.location).get_data(as_text=True)
    if visual:
        assert "kan de visuele editor niet" not in page and "Afmelden voor deze berichten" in campaign.rendered_html
        assert "*|AANHEF|*" in page  # the greeting is the merge tag from the menu, not Jinja
        saved = client.post(response.location, data={"visual_body": editor.body_from_source(campaign.mjml_source)})
        assert saved.status_code == 302 and fresh(campaign).visual_body is not None


def test_unknown_template_is_refused(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/nieuw?organisatie={organisation.id}",
                           data={"name": "X", "template": "../../etc/passwd"})
    assert response.status_code == 400 and db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_saving_stores_the_content_and_the_new_render(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    source = campaign.mjml_source.replace("Herken phishing in drie stappen", "Nieuwe kop")
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken",
                           data=form_of(campaign, subject="Nieuw onderwerp", mjml_source=source))
    assert response.status_code == 302
    saved = fresh(campaign)
    assert saved.subject == "Nieuw onderwerp" and "Nieuwe kop" in saved.rendered_html


def test_template_error_names_its_line_and_keeps_the_last_good_render(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    good_render, good_source = campaign.rendered_html, campaign.mjml_source
    signed_in(client, organisation)
    lines = good_source.splitlines()
    body_line = next(i for i, line in enumerate(lines) if "<mj-column>" in line) + 1
    lines.insert(body_line, "          <mj-txt>typo</mj-txt>")
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken",
                           data=form_of(campaign, subject="Ander onderwerp", mjml_source="\n".join(lines)))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"Regel {body_line + 1}" in page and "mj-txt" in page
    assert "&lt;mj-txt&gt;typo" in page  # the half-typed source stays in the textarea
    kept = fresh(campaign)
    assert kept.rendered_html == good_render and kept.mjml_source == good_source and kept.subject != "Ander onderwerp"
    assert client.get(f"/beheer/campagnes/{campaign.id}/voorbeeld").get_data(as_text=True) == good_render


def test_jinja_errors_are_reported_with_their_line(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    source = campaign.mjml_source.replace("<p>Beste", "<p>{{ contact.name.__class__ }} {% if %}Beste", 1)
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=form_of(campaign, mjml_source=source))
    assert response.status_code == 400 and "Regel " in response.get_data(as_text=True)


def test_sandbox_refuses_reaching_outside_the_values(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    source = campaign.mjml_source.replace("<p>Beste", "<p>{{ contact.__class__.__mro__ }}Beste", 1)
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=form_of(campaign, mjml_source=source))
    assert response.status_code == 400 and "niet toegestaan" in response.get_data(as_text=True)


def test_preview_is_served_in_a_sandbox(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    response = client.get(f"/beheer/campagnes/{campaign.id}/voorbeeld")
    assert response.status_code == 200 and "Voorbeeld Lezer" in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    editor = client.get(f"/beheer/campagnes/{campaign.id}/bewerken").get_data(as_text=True)
    assert editor.count(f'src="/beheer/campagnes/{campaign.id}/voorbeeld"') == 2  # desktop and mobile


def test_preflight_reports_broken_links_missing_alt_long_subject_and_empty_names(
        client: FlaskClient, live_server: LiveServer) -> None:
    organisation = make_organisation()
    make_contact(organisation, name=None)
    campaign = make_campaign(organisation, subject="x" * 90)
    block = (f'<p><a href="{live_server.url}/healthz">werkt</a> <a href="{live_server.url}/bestaat-niet">stuk</a>'
             f' <img src="{live_server.url}/static/logo.png"> {{{{ contact.name }}}}</p>')
    campaign.mjml_source = campaign.mjml_source.replace("<ol>", block + "<ol>", 1)
    db.session.commit()
    signed_in(client, organisation)
    client.application.config["LINK_CHECK_ALLOWED_NETWORKS"] = "127.0.0.1/32"  # the live server
    page = client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
    assert f"{live_server.url}/bestaat-niet (404)" in page and f"{live_server.url}/healthz (" not in page
    assert "zonder alt-tekst" in page and "logo.png" in page
    assert "90 tekens" in page
    assert "1 ontvangers hebben geen waarde voor contact.name" in page
    assert "De afmeldlink staat in de mail" in page


def test_campaign_without_unsubscribe_link_cannot_launch(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    campaign.mjml_source = campaign.mjml_source.replace("{% if unsubscribe_url is defined %}", "{% if false %}")
    db.session.commit()
    signed_in(client, organisation)
    assert "De afmeldlink ontbreekt" in client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
    response = confirm_and_send(client, campaign)
    assert response.status_code == 409 and "afmeldlink ontbreekt" in response.get_data(as_text=True)
    assert outbox() == []


def test_sender_must_be_on_the_organisations_mail_domain(client: FlaskClient) -> None:
    organisation = make_organisation(mail_from_address="nieuws@gemeente-test.nl")
    campaign = make_campaign(organisation)
    assert campaign.sender_address == "nieuws@gemeente-test.nl"
    signed_in(client, organisation)
    url = f"/beheer/campagnes/{campaign.id}/bewerken"
    spoofed = client.post(url, data=form_of(campaign, sender_address="info@politie.nl", subject="Nieuw"))
    assert spoofed.status_code == 400 and "@gemeente-test.nl" in spoofed.get_data(as_text=True)
    assert fresh(campaign).sender_address == "nieuws@gemeente-test.nl" and fresh(campaign).subject != "Nieuw"
    own = client.post(url, data=form_of(campaign, sender_address="Veilig@Gemeente-Test.nl"))
    assert own.status_code == 302 and fresh(campaign).sender_address == "Veilig@Gemeente-Test.nl"


def test_a_sender_left_behind_by_a_new_organisation_address_blocks_the_launch(client: FlaskClient) -> None:
    organisation = make_organisation(mail_from_address="nieuws@oud-domein.nl")
    make_contact(organisation)
    campaign = make_campaign(organisation)
    organisation.mail_from_address = "nieuws@nieuw-domein.nl"
    db.session.commit()
    signed_in(client, organisation)
    assert "@nieuw-domein.nl" in client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
    response = confirm_and_send(client, campaign)
    assert response.status_code == 409 and outbox() == []


def test_test_send_reaches_the_chosen_addresses_marked_as_test(smtp_app: Flask, client: FlaskClient,
                                                              relay: Relay) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, subject="Herfstnieuws")
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/test",
                           data={"addresses": "redactie@example.org\ncollega@example.org"})
    assert response.status_code == 302
    assert run_worker(once=True) == 2
    assert sorted(relay.handler.count_by_recipient()) == ["collega@example.org", "redactie@example.org"]
    assert {message["Subject"] for message in relay.received} == {"[TEST] Herfstnieuws"}
    assert fresh(campaign).status.value == "draft"


def test_test_send_refuses_bad_addresses(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/test", data={"addresses": "a@example.org\nniet-goed"})
    assert response.status_code == 400 and "niet-goed" in response.get_data(as_text=True)
    assert outbox() == []


def test_invitation_links_carry_the_campaign_into_sign_ups_and_statistics(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="lezer@example.org")
    event = make_event(organisation, title="Phishing-avond")
    campaign = make_campaign(organisation, template="invitation")
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken",
                           data=form_of(campaign, event_ids=[str(event.id)]))
    assert response.status_code == 302
    assert confirm_and_send(client, campaign).status_code == 302
    (row,) = [r for r in outbox("campaign")]
    html = bodies(row).html
    link = re.search(r'href="http://localhost(/evenementen/[^"]+)"', html).group(1)
    assert link == f"{signup_url(event)}?bron=campagne-{campaign.id}" and "Phishing-avond" in html
    visitor = client.application.test_client()
    visitor.post(link, data={"name": "Lezer", "email": "lezer@example.org"})
    registration = db.session.scalar(sa.select(Registration))
    assert registration.source == f"campagne-{campaign.id}"
    registration.checked_in_at = utcnow()
    db.session.commit()
    page = client.get(f"/beheer/campagnes/{campaign.id}").get_data(as_text=True)
    stats = dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page))
    assert stats["Aanmeldingen voor bijeenkomsten via deze campagne"] == "1"
    assert stats["Van hen aanwezig geweest"] == "1"


def test_live_preview_shows_what_renders_and_keeps_the_last_good_render_on_errors(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    saved_source = campaign.mjml_source
    signed_in(client, organisation)
    url = f"/beheer/campagnes/{campaign.id}/voorbeeld"
    typed = saved_source.replace("Herken phishing in drie stappen", "Bijna klaar")
    response = client.post(url, data={"mjml_source": typed})
    assert response.status_code == 200 and response.get_json()["ok"]
    assert "Bijna klaar" in client.get(url).get_data(as_text=True)
    half_typed = typed.replace("</mj-text>", "</mj-tex", 1)
    response = client.post(url, data={"mjml_source": half_typed})
    assert response.status_code == 400 and response.get_json()["line"] is not None
    assert "Bijna klaar" in client.get(url).get_data(as_text=True)
    assert fresh(campaign).mjml_source == saved_source  # only saving stores the source


def test_live_preview_of_a_sending_campaign_is_refused(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    confirm_and_send(client, campaign)
    response = client.post(f"/beheer/campagnes/{campaign.id}/voorbeeld", data={"mjml_source": "<mjml>"})
    assert response.status_code == 409
