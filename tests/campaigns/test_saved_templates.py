"""An organisation's own templates: a campaign kept as one, listed beside the shipped library when a
new campaign starts, a visual one opened in the visual editor with the locked layout composed afresh;
renamed and deleted (after a confirmation); never seen or changed by another organisation."""
from __future__ import annotations

import io

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from accounts.models import Role
from campaigns.models import Campaign, CampaignImage, SavedTemplate
from campaigns.services.campaigns import render_sample, sample_urls, source_tag
from campaigns.views.editor import editor_csp
from extensions import db
from tests.campaigns.helpers import png, signed_in
from tests.factories import login, make_campaign, make_event, make_organisation, make_user

BODY = ('<mj-section><mj-column><mj-text><p>*|AANHEF|* lees onze tips.</p></mj-text></mj-column></mj-section>'
        '<mj-section css-class="weerbaar-event-{event}"></mj-section>')


def editor_csp_of(client: FlaskClient) -> str:
    with client.application.test_request_context():
        return editor_csp()


def saved(organisation_id: int) -> list[SavedTemplate]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SavedTemplate).where(SavedTemplate.organisation_id == organisation_id)))


def new_campaign_from(client: FlaskClient, organisation_id: int, choice: str, name: str = "Van sjabloon"):  # noqa: ANN201
    return client.post(f"/beheer/campagnes/nieuw?organisatie={organisation_id}", data={"name": name, "template": choice})


def test_a_raw_campaign_kept_as_template_starts_a_new_campaign_with_its_content(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, name="Nieuwsbrief maart")
    campaign.mjml_source = campaign.mjml_source.replace("<ol>", "<p>Vaste rubriek: wachtwoorden</p><ol>", 1)
    db.session.commit()
    signed_in(client, organisation)

    response = client.post(f"/beheer/campagnes/{campaign.id}/als-sjabloon", data={"name": "Maandbrief"})

    assert response.status_code == 302
    (template,) = saved(organisation.id)
    assert template.name == "Maandbrief" and template.visual_body is None
    page = client.get(f"/beheer/campagnes/nieuw?organisatie={organisation.id}").get_data(as_text=True)
    assert "Eigen sjabloon: Maandbrief" in page and "Bewustwordingscampagne" in page  # beside the shipped ones
    started = new_campaign_from(client, organisation.id, f"eigen-{template.id}", "Nieuwsbrief april")
    new = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Nieuwsbrief april"))
    assert started.location.endswith(f"/beheer/campagnes/{new.id}/bewerken")
    assert "Vaste rubriek: wachtwoorden" in new.mjml_source and new.template_key == "eigen"
    assert "Maandbrief" in client.get(f"/beheer/campagnes/sjablonen?organisatie={organisation.id}").get_data(as_text=True)


def test_a_visual_template_opens_in_the_visual_editor_with_the_layout_and_this_campaigns_links(
        client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation, title="Phishing-avond")
    campaign = make_campaign(organisation, "blank")
    signed_in(client, organisation)
    body = BODY.format(event=event.id)
    assert client.post(f"/beheer/campagnes/{campaign.id}/ontwerp", data={"visual_body": body}).status_code == 302
    client.post(f"/beheer/campagnes/{campaign.id}/als-sjabloon", data={"name": "Uitnodiging visueel"})
    (template,) = saved(organisation.id)

    started = new_campaign_from(client, organisation.id, f"eigen-{template.id}")

    new = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Van sjabloon"))
    assert started.location.endswith(f"/beheer/campagnes/{new.id}/ontwerp")
    assert new.visual_body == template.visual_body and new.event_ids == [event.id]
    html = render_sample(new).html
    assert f"bron={source_tag(new)}" in html and f"bron={source_tag(campaign)}" not in html  # its own attribution
    soup = BeautifulSoup(html, "html.parser")
    assert all(soup.find("a", href=url) for url in sample_urls())  # the locked footer's links
    assert client.get(f"/beheer/campagnes/{new.id}/ontwerp").status_code == 200


def test_rename_refuses_a_taken_name_and_delete_asks_first_and_leaves_campaigns_alone(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    for name in ("Eerste", "Tweede"):
        client.post(f"/beheer/campagnes/{campaign.id}/als-sjabloon", data={"name": name})
    first, second = sorted(saved(organisation.id), key=lambda template: template.name)
    taken = client.post(f"/beheer/campagnes/{campaign.id}/als-sjabloon", data={"name": "Eerste"})
    assert taken.status_code == 409 and "al een sjabloon met de naam “Eerste”" in taken.get_data(as_text=True)
    refused = client.post(f"/beheer/campagnes/sjablonen/{second.id}/naam", data={"name": "Eerste"})
    assert refused.status_code == 409 and [t.name for t in saved(organisation.id)].count("Tweede") == 1
    assert client.post(f"/beheer/campagnes/sjablonen/{second.id}/naam", data={"name": ""}).status_code == 400
    assert client.post(f"/beheer/campagnes/sjablonen/{second.id}/naam", data={"name": "Derde"}).status_code == 302
    assert sorted(t.name for t in saved(organisation.id)) == ["Derde", "Eerste"]
    new_campaign_from(client, organisation.id, f"eigen-{first.id}")

    question = client.get(f"/beheer/campagnes/sjablonen/{first.id}/verwijderen").get_data(as_text=True)
    assert "Sjabloon Eerste verwijderen?" in question and len(saved(organisation.id)) == 2
    assert client.post(f"/beheer/campagnes/sjablonen/{first.id}/verwijderen").status_code == 302
    assert [t.name for t in saved(organisation.id)] == ["Derde"]
    assert db.session.scalar(sa.select(Campaign).where(Campaign.name == "Van sjabloon")) is not None
    gone = new_campaign_from(client, organisation.id, f"eigen-{first.id}")
    assert gone.status_code == 400


def test_another_organisation_never_sees_uses_or_changes_the_templates(client: FlaskClient) -> None:
    organisation, other = make_organisation(), make_organisation()
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    client.post(f"/beheer/campagnes/{campaign.id}/als-sjabloon", data={"name": "Alleen van Alfa"})
    (template,) = saved(organisation.id)
    client.post("/beheer/uitloggen")
    login(client, make_user(other, Role.ADMIN))

    assert "Alleen van Alfa" not in client.get(f"/beheer/campagnes/sjablonen?organisatie={other.id}").get_data(as_text=True)
    assert "Alleen van Alfa" not in client.get(f"/beheer/campagnes/nieuw?organisatie={other.id}").get_data(as_text=True)
    assert client.get(f"/beheer/campagnes/sjablonen?organisatie={organisation.id}").status_code == 404
    assert new_campaign_from(client, other.id, f"eigen-{template.id}").status_code == 400
    assert client.get(f"/beheer/campagnes/sjablonen/{template.id}/verwijderen").status_code == 404
    assert client.post(f"/beheer/campagnes/sjablonen/{template.id}/verwijderen").status_code == 404
    assert client.post(f"/beheer/campagnes/sjablonen/{template.id}/naam", data={"name": "Van Beta"}).status_code == 404
    assert client.post(f"/beheer/campagnes/{campaign.id}/als-sjabloon", data={"name": "Gestolen"}).status_code == 404
    assert [t.name for t in saved(organisation.id)] == ["Alleen van Alfa"] and saved(other.id) == []
    client.post("/beheer/uitloggen")
    login(client, make_user(organisation, Role.ORGANISER))
    assert client.get(f"/beheer/campagnes/sjablonen/{template.id}/verwijderen").status_code == 403


def test_a_template_started_from_the_blank_design_is_built_in_the_visual_editor_without_attribution(
        client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation, title="Phishing-avond")
    signed_in(client, organisation)

    made = client.post(f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}",
                       data={"name": "Uitnodiging", "template": "blank"})

    (template,) = saved(organisation.id)
    assert made.location.endswith(f"/beheer/campagnes/sjablonen/{template.id}/ontwerp")
    assert "Schrijf hier uw bericht." in template.visual_body
    before = (template.visual_body, template.mjml_source)
    page = client.get(f"/beheer/campagnes/sjablonen/{template.id}/ontwerp")
    assert page.status_code == 200 and "Sjabloon ontwerpen: Uitnodiging" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == editor_csp_of(client)  # the campaign editor's own policy
    assert client.get(f"/beheer/campagnes/sjablonen/{template.id}/voorbeeld").status_code == 200
    assert (saved(organisation.id)[0].visual_body, saved(organisation.id)[0].mjml_source) == before  # GETs wrote nothing
    live = client.post(f"/beheer/campagnes/sjablonen/{template.id}/ontwerp/voorbeeld",
                       data={"visual_body": BODY.format(event=event.id)}).get_json()
    assert live["ok"] and "Phishing-avond" in live["html"] and saved(organisation.id)[0].mjml_source == before[1]
    uploaded = client.post(f"/beheer/campagnes/sjablonen/{template.id}/afbeeldingen",
                           data={"files": (io.BytesIO(png()), "poster.png")})
    assert uploaded.status_code == 200 and uploaded.get_json()["data"][0]["name"] == "poster.png"
    assert db.session.scalar(sa.select(CampaignImage.organisation_id)) == organisation.id

    assert client.post(f"/beheer/campagnes/sjablonen/{template.id}/ontwerp",
                       data={"visual_body": BODY.format(event=event.id)}).status_code == 302

    (template,) = saved(organisation.id)
    assert template.visual_body == BODY.format(event=event.id).replace("</mj-section><mj-section", "</mj-section>\n<mj-section")
    html = render_sample(template).html
    soup = BeautifulSoup(html, "html.parser")
    assert all(soup.find("a", href=url) for url in sample_urls()) and "bron=" not in html  # footer, no attribution yet
    new_campaign_from(client, organisation.id, f"eigen-{template.id}")
    new = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Van sjabloon"))
    assert f"bron={source_tag(new)}" in render_sample(new).html and new.event_ids == [event.id]


def test_a_visual_templates_raw_mjml_is_composed_afresh_and_one_without_its_footer_is_refused(
        client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    client.post(f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}",
                data={"name": "Basis", "template": "blank"})
    (template,) = saved(organisation.id)
    source_url = f"/beheer/campagnes/sjablonen/{template.id}/mjml"
    assert "Schrijf hier uw bericht." in client.get(source_url).get_data(as_text=True)

    edited = template.mjml_source.replace("Schrijf hier uw bericht.", "Vaste rubriek: updates")
    assert client.post(source_url, data={"mjml_source": edited}).status_code == 302
    (template,) = saved(organisation.id)
    assert "Vaste rubriek: updates" in template.visual_body  # still visual: the layout was left alone

    kept = template.mjml_source
    footless = kept.replace("{{ unsubscribe_url }}", "https://example.org/")
    assert footless != kept
    refused = client.post(source_url, data={"mjml_source": footless})
    assert refused.status_code == 400 and "afmeld" in refused.get_data(as_text=True).lower()
    assert saved(organisation.id)[0].mjml_source == kept  # nothing stored
    assert client.post(source_url, data={"mjml_source": ""}).status_code == 400

    own_layout = kept.replace("Vaste rubriek: updates", "Eigen opmaak").replace("<mj-body", "<mj-body width=\"640px\"", 1)
    assert own_layout != kept and client.post(source_url, data={"mjml_source": own_layout}).status_code == 302
    (template,) = saved(organisation.id)
    assert template.visual_body is None and template.mjml_source == own_layout  # raw, with its unsubscribe link


def test_a_shipped_raw_design_becomes_a_raw_template_a_campaign_can_start_from(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    made = client.post(f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}",
                       data={"name": "Bewust", "template": "awareness"})
    (template,) = saved(organisation.id)
    assert made.location.endswith(f"/beheer/campagnes/sjablonen/{template.id}/mjml") and template.visual_body is None
    warning = client.get(f"/beheer/campagnes/sjablonen/{template.id}/ontwerp").get_data(as_text=True)
    assert 'id="not-representable"' in warning
    assert client.post(f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}",
                       data={"name": "Bewust", "template": "blank"}).status_code == 409
    assert client.post(f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}",
                       data={"name": "Ander", "template": "bestaat-niet"}).status_code == 400
    assert len(saved(organisation.id)) == 1

    new_campaign_from(client, organisation.id, f"eigen-{template.id}")
    new = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Van sjabloon"))
    soup = BeautifulSoup(render_sample(new).html, "html.parser")
    assert soup.find("a", href=sample_urls()[0])


def test_another_organisation_cannot_open_edit_preview_or_upload_to_a_template(client: FlaskClient) -> None:
    organisation, other = make_organisation(), make_organisation()
    signed_in(client, organisation)
    client.post(f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}",
                data={"name": "Alleen van Alfa", "template": "blank"})
    (template,) = saved(organisation.id)
    before = (template.visual_body, template.mjml_source)
    client.post("/beheer/uitloggen")
    login(client, make_user(other, Role.ADMIN))
    base = f"/beheer/campagnes/sjablonen/{template.id}"

    for url in (f"{base}/ontwerp", f"{base}/voorbeeld", f"{base}/mjml",
                f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}"):
        assert client.get(url).status_code == 404, url
    for url, data in ((f"{base}/ontwerp", {"visual_body": BODY.format(event=0)[:80]}),
                      (f"{base}/ontwerp/voorbeeld", {"visual_body": "<mj-section></mj-section>"}),
                      (f"{base}/mjml", {"mjml_source": before[1]}),
                      (f"{base}/afbeeldingen", {"files": (io.BytesIO(png()), "a.png")}),
                      (f"/beheer/campagnes/sjablonen/nieuw?organisatie={organisation.id}",
                       {"name": "Gestolen", "template": "blank"})):
        assert client.post(url, data=data).status_code == 404, url
    assert [(t.visual_body, t.mjml_source) for t in saved(organisation.id)] == [before] and saved(other.id) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignImage)) == 0
    client.post("/beheer/uitloggen")
    login(client, make_user(organisation, Role.ORGANISER))
    assert client.get(f"{base}/ontwerp").status_code == 403
