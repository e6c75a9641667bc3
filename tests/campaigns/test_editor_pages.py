"""The visual editor's pages attacked through HTTP: the footer stays, a campaign without a visible
unsubscribe link is never sent, images are checked by their bytes and kept per organisation."""
from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from PIL import Image

from campaigns.models import Campaign, CampaignImage
from extensions import db
from mailing.models import OutgoingMessage
from tests.campaigns.helpers import form_of, path_of, png, signed_in
from tests.factories import confirm_and_send, make_campaign, make_contact, make_event, make_organisation

NO_FOOTER = ("<mjml><mj-body><mj-section><mj-column><mj-text>Geen voet</mj-text></mj-column></mj-section>"
             "</mj-body></mjml>")


def _fresh(campaign: Campaign) -> Campaign:
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id)


def test_posted_content_cannot_remove_the_footer_and_the_campaign_still_sends(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    attack = ("<mjml><mj-body><mj-section><mj-column><mj-text>Hallo</mj-text></mj-column></mj-section>"
              "</mj-body></mjml></mj-wrapper><mj-section><mj-column><mj-text>nep-voet</mj-text></mj-column></mj-section>")
    assert client.post(f"/beheer/campagnes/{campaign.id}/ontwerp", data={"visual_body": attack}).status_code == 302
    stored = _fresh(campaign)
    assert "Afmelden voor deze berichten" in stored.rendered_html and "Voorkeuren aanpassen" in stored.rendered_html
    assert confirm_and_send(client, campaign).status_code == 302
    assert db.session.query(OutgoingMessage).filter_by(campaign_id=campaign.id).count() == 1


@pytest.mark.parametrize("body", [
    "<mj-raw><style>.footer { display: none }</style></mj-raw>",
    "<mj-section><mj-column><mj-text><style>.footer{display:none}</style></mj-text></mj-column></mj-section>",
])
def test_posted_content_that_would_hide_the_footer_is_refused(client: FlaskClient, body: str) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, "blank")
    before = campaign.mjml_source
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/ontwerp", data={"visual_body": body})
    assert response.status_code == 400 and "niet opgeslagen" in response.get_data(as_text=True)
    assert _fresh(campaign).mjml_source == before


@pytest.mark.parametrize("source_change", [
    lambda source: NO_FOOTER,
    lambda source: source.replace('<a href="{{ unsubscribe_url }}">', '<a href="{{ unsubscribe_url }}" style="display:none">'),
    lambda source: source.replace('{{ _("Afmelden voor deze berichten") }}', ""),
    lambda source: source.replace('<a href="{{ preferences_url }}">', '<a href="https://example.org/">'),
])
def test_raw_mjml_without_a_visible_unsubscribe_link_is_never_sent(client: FlaskClient, source_change) -> None:  # noqa: ANN001
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    changed = source_change(campaign.mjml_source)
    assert changed != campaign.mjml_source
    edited = client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=form_of(campaign, mjml_source=changed))
    assert edited.status_code == 302
    assert _fresh(campaign).visual_body is None  # raw now: the visual editor no longer vouches for it
    page = client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
    assert "Blokkeert verzending" in page
    assert _send_with_the_true_fingerprint(client, campaign).status_code == 409
    assert db.session.query(OutgoingMessage).filter_by(campaign_id=campaign.id).count() == 0


def test_an_image_without_alt_text_blocks_the_launch(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    body = '<mj-section><mj-column><mj-image src="https://example.org/a.png"></mj-image></mj-column></mj-section>'
    assert client.post(f"/beheer/campagnes/{campaign.id}/ontwerp", data={"visual_body": body}).status_code == 302
    assert "zonder alt-tekst" in client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
    assert _send_with_the_true_fingerprint(client, campaign).status_code == 409


def test_raw_mjml_the_editor_cannot_show_says_so_and_is_kept(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, "invitation")
    signed_in(client, organisation)
    page = client.get(f"/beheer/campagnes/{campaign.id}/ontwerp")
    assert page.status_code == 200 and "kan de visuele editor niet tonen" in page.get_data(as_text=True)
    assert _fresh(campaign).mjml_source == campaign.mjml_source


def test_editor_page_has_its_own_csp_and_other_pages_keep_theirs(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    policy = client.get(f"/beheer/campagnes/{campaign.id}/ontwerp").headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy and "script-src 'self';" in policy
    assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
    other = client.get(f"/beheer/campagnes/{campaign.id}/bewerken").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in other


def test_event_block_links_to_the_sign_up_with_the_campaigns_attribution(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    body = f'<mj-section css-class="weerbaar-event-{event.id}"><mj-column></mj-column></mj-section>'
    assert client.post(f"/beheer/campagnes/{campaign.id}/ontwerp", data={"visual_body": body}).status_code == 302
    stored = _fresh(campaign)
    assert f"?bron=campagne-{campaign.id}" in stored.rendered_html and event.id in stored.event_ids


def test_upload_checks_the_bytes_and_serves_a_stable_public_address(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    url = f"/beheer/campagnes/{campaign.id}/afbeeldingen"
    fake = client.post(url, data={"files": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.png")})
    assert fake.status_code == 400 and "geen afbeelding" in fake.get_json()["error"]
    renamed = client.post(url, data={"files": (io.BytesIO(png()), "foto.gif")})
    assert renamed.status_code == 200
    src = renamed.get_json()["data"][0]["src"]
    assert src.startswith("http://localhost/nieuwsbrief/afbeelding/") and src.endswith(".png")
    anonymous = client.application.test_client()
    served = anonymous.get(path_of(src))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in served.headers["Content-Security-Policy"]
    assert anonymous.get(path_of(src).replace(".png", ".gif")).status_code == 404
    assert [item["src"] for item in client.get(url).get_json()["data"]] == [src]


def test_upload_refuses_large_files(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    client.application.config["CAMPAIGN_IMAGE_MAX_BYTES"] = 100
    response = client.post(f"/beheer/campagnes/{campaign.id}/afbeeldingen",
                           data={"files": (io.BytesIO(png((200, 200))), "groot.png")})
    assert response.status_code == 400 and "groter dan" in response.get_json()["error"]
    assert db.session.query(CampaignImage).count() == 0


def test_images_of_another_organisation_are_not_listed_nor_uploadable(client: FlaskClient) -> None:
    alfa, beta = make_organisation(), make_organisation()
    alfa_campaign, beta_campaign = make_campaign(alfa, "blank"), make_campaign(beta, "blank")
    signed_in(client, alfa)
    client.post(f"/beheer/campagnes/{alfa_campaign.id}/afbeeldingen", data={"files": (io.BytesIO(png()), "a.png")})
    signed_in(client, beta)
    assert client.get(f"/beheer/campagnes/{alfa_campaign.id}/afbeeldingen").status_code == 404
    assert client.post(f"/beheer/campagnes/{alfa_campaign.id}/afbeeldingen",
                       data={"files": (io.BytesIO(png()), "b.png")}).status_code == 404
    assert client.get(f"/beheer/campagnes/{beta_campaign.id}/afbeeldingen").get_json()["data"] == []


def test_metadata_is_removed_from_stills(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "Thuisadres Dorpsstraat 1"  # ImageDescription
    Image.new("RGB", (30, 30)).save(buffer, format="JPEG", exif=exif)
    client.post(f"/beheer/campagnes/{campaign.id}/afbeeldingen", data={"files": (io.BytesIO(buffer.getvalue()), "p.jpg")})
    stored = db.session.query(CampaignImage).one()
    assert b"Dorpsstraat" not in stored.data and stored.content_type == "image/jpeg"


@pytest.mark.parametrize(("lang", "editor_locale"), [("nl", "nl"), ("en", "en")])
def test_editor_speaks_the_ui_language(client: FlaskClient, lang: str, editor_locale: str) -> None:
    """GrapesJS gets its Dutch labels (and grapesjs-mjml's) only when the admin is in Dutch."""
    organisation = make_organisation()
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    client.post("/taal", data={"lang": lang, "next": "/"})
    page = client.get(f"/beheer/campagnes/{campaign.id}/ontwerp").get_data(as_text=True)
    assert f'data-locale="{editor_locale}"' in page
    assert ("grapesjs-nl.js" in page) == (editor_locale == "nl")


def _send_with_the_true_fingerprint(client: FlaskClient, campaign: Campaign) -> object:
    """An attack past the confirmation page (which offers no button here): the POST carries the
    campaign's real fingerprint, so only the pre-flight's refusal can stop it."""
    from campaigns.services.confirmation import summary

    db.session.expire_all()
    current = db.session.get(Campaign, campaign.id)
    return client.post(f"/beheer/campagnes/{campaign.id}/versturen", data={"vingerafdruk": summary(current).fingerprint})
