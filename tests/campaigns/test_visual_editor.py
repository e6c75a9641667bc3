"""The visual editor's content: the allow-list, merge tags, the event block and the locked layout."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from campaigns.services import editor
from campaigns.services.campaigns import CampaignError, render_sample, sample_urls, source_tag
from tests.factories import make_campaign, make_event, make_organisation

TEXT = '<mj-section><mj-column><mj-text><p>*|AANHEF|*</p><p>Hallo {{ config }} {% raw %}</p></mj-text></mj-column></mj-section>'


def _visual(app: Flask, body: str):  # noqa: ANN202 - a campaign with its composed source
    campaign = make_campaign(make_organisation(), "blank")
    campaign.visual_body = editor.clean_body(body)
    campaign.mjml_source = editor.compose(campaign, campaign.visual_body)
    return campaign


def test_typed_jinja_is_text_and_merge_tags_become_personalisation(app: Flask) -> None:
    campaign = _visual(app, TEXT)
    html = render_sample(campaign).html
    assert "Beste Voorbeeld Lezer," in html
    assert "Hallo {{ config }} {% raw %}" in html  # shown as typed, never run


def test_the_footer_is_always_there_whatever_the_body(app: Flask) -> None:
    campaign = _visual(app, "")
    soup = BeautifulSoup(render_sample(campaign).html, "html.parser")
    unsubscribe, preferences = sample_urls()
    assert soup.find("a", href=unsubscribe) and soup.find("a", href=preferences)


@pytest.mark.parametrize("body", [
    "<mj-raw><p>footer weg</p></mj-raw>",
    "<mj-section><mj-column><mj-raw>x</mj-raw></mj-column></mj-section>",
    "<mj-section><mj-column><mj-text><script>alert(1)</script></mj-text></mj-column></mj-section>",
    "<mj-section><mj-column><mj-text><style>.footer{display:none}</style></mj-text></mj-column></mj-section>",
    "<mj-wrapper><mj-section></mj-section></mj-wrapper>",
    "losse tekst",
])
def test_elements_outside_the_allow_list_are_refused(app: Flask, body: str) -> None:
    with pytest.raises(editor.NotRepresentable):
        editor.clean_body(body)


def test_stray_closing_tags_cannot_leave_the_content(app: Flask) -> None:
    clean = editor.clean_body("</mj-column></mj-section></mj-wrapper></mj-body></mjml><mj-section><mj-column>"
                              "<mj-text>x</mj-text></mj-column></mj-section>")
    assert "</mj-wrapper>" not in clean and "</mjml>" not in clean
    assert clean == "<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>"


def test_unsafe_links_and_unknown_attributes_are_dropped(app: Flask) -> None:
    body = ('<mj-section><mj-column><mj-button href="javascript:alert(1)" onclick="x" mj-class="y">Knop</mj-button>'
            '<mj-image src="https://example.org/a.png" alt="Logo" /></mj-column></mj-section>')
    clean = editor.clean_body(body)
    assert "javascript" not in clean and "onclick" not in clean and "mj-class" not in clean
    assert 'src="https://example.org/a.png"' in clean and 'alt="Logo"' in clean


def test_event_block_is_drawn_by_the_server_with_the_campaigns_attribution(app: Flask) -> None:
    campaign = make_campaign(make_organisation(), "blank")
    event = make_event(campaign.organisation if hasattr(campaign, "organisation") else _organisation(campaign))
    sent = (f'<mj-section css-class="weerbaar-event-{event.id}"><mj-column><mj-button href="https://evil.example">'
            'Aanmelden</mj-button></mj-column></mj-section>')
    campaign.visual_body = editor.clean_body(sent)
    campaign.mjml_source = editor.compose(campaign, campaign.visual_body)
    html = render_sample(campaign).html
    assert "evil.example" not in html
    assert f"/evenementen/{event.id}/{event.slug}?bron={source_tag(campaign)}" in html
    assert event.title in html
    assert editor.event_ids_of(campaign.visual_body) == [event.id]


def test_event_block_of_another_organisation_is_refused(app: Flask) -> None:
    campaign = make_campaign(make_organisation(), "blank")
    other = make_event(make_organisation())
    with pytest.raises(CampaignError):
        editor.compose(campaign, editor.clean_body(f'<mj-section css-class="weerbaar-event-{other.id}"></mj-section>'))


def test_composed_source_reads_back_into_the_same_body(app: Flask) -> None:
    campaign = _visual(app, TEXT)
    assert editor.body_from_source(campaign.mjml_source) == campaign.visual_body


def test_blank_library_design_opens_in_the_visual_editor(app: Flask) -> None:
    campaign = make_campaign(make_organisation(), "blank")
    assert "*|AANHEF|*" in editor.body_from_source(campaign.mjml_source)


@pytest.mark.parametrize("change", [
    lambda source: source.replace("Afmelden voor deze berichten", "Weg"),
    lambda source: source.replace("<mj-text>", "<mj-text>{{ contact.email }}", 1).replace("Beste", "Hoi"),
])
def test_raw_sources_the_editor_cannot_show_say_so(app: Flask, change) -> None:  # noqa: ANN001
    campaign = _visual(app, TEXT)
    with pytest.raises(editor.NotRepresentable):
        editor.body_from_source(change(campaign.mjml_source))


def test_library_templates_with_their_own_jinja_are_not_representable(app: Flask) -> None:
    campaign = make_campaign(make_organisation(), "invitation")
    with pytest.raises(editor.NotRepresentable):
        editor.body_from_source(campaign.mjml_source)


def _organisation(campaign):  # noqa: ANN001, ANN202
    from accounts.models import Organisation
    from extensions import db
    return db.session.get(Organisation, campaign.organisation_id)


def test_the_self_help_block_lists_the_published_pages_and_survives_a_round_trip(app: Flask) -> None:
    from tests.factories import make_selfhelp_page

    organisation = make_organisation()
    campaign = make_campaign(organisation, "blank")
    body = editor.clean_body('<mj-section css-class="weerbaar-selfhelp"><mj-column><mj-text>wat dan ook, met '
                             '<a href="javascript:alert(1)">x</a></mj-text></mj-column></mj-section>')
    assert body == editor.SELFHELP_MARKER  # what was sent inside the block is never kept
    with pytest.raises(CampaignError, match="zelfhulppagina"):
        editor.compose(campaign, body)  # no published page yet: the block would lead nowhere
    make_selfhelp_page(organisation, title="Account gehackt {{ config }}", slug="account-gehackt")
    make_selfhelp_page(organisation, title="Nog niet af", slug="concept", published=False)
    campaign.visual_body = body
    campaign.mjml_source = editor.compose(campaign, body)
    soup = BeautifulSoup(render_sample(campaign).html, "html.parser")
    link = soup.find("a", string="Account gehackt {{ config }}")  # a title is text, never Jinja
    assert link is not None and link["href"].endswith(f"/zelfhulp/{organisation.slug}/account-gehackt")
    assert "Nog niet af" not in soup.get_text()
    assert soup.find("a", href=lambda href: bool(href) and href.endswith(f"/zelfhulp/{organisation.slug}"))
    assert editor.body_from_source(campaign.mjml_source) == editor.SELFHELP_MARKER
