"""Click tracking: off by default; when on, signed redirects that only lead to the campaign's own links."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from campaigns import tokens
from campaigns.services.clicks import CLICK_SALT
from mailing.personalise import RenderedMail
from mailing.services import bodies
from tests.campaigns.helpers import form_of, path_of, signed_in
from tests.factories import confirm_and_send, make_campaign, make_contact, make_organisation, outbox

LINK = "https://veiliginternetten.example/tips?a=1&b=2"


def launch_with_link(client: FlaskClient, *, track: bool) -> tuple[object, RenderedMail]:
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    anchor = f"<p><a href=\"{LINK.replace('&', '&amp;')}\">Meer tips</a></p>"
    source = campaign.mjml_source.replace("<ol>", anchor + "<ol>", 1)
    data = form_of(campaign, mjml_source=source) | ({"track_clicks": "y"} if track else {})
    assert client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=data).status_code == 302
    assert confirm_and_send(client, campaign).status_code == 302
    (row,) = outbox("campaign")
    return campaign, bodies(row)


def test_links_go_straight_to_their_target_by_default(client: FlaskClient) -> None:
    _campaign, mail = launch_with_link(client, track=False)
    assert "/nieuwsbrief/klik/" not in mail.html and LINK.replace("&", "&amp;") in mail.html


def test_tracked_link_is_counted_and_leads_to_the_campaigns_url(client: FlaskClient) -> None:
    campaign, mail = launch_with_link(client, track=True)
    (redirect,) = re.findall(r'href="(http://localhost/nieuwsbrief/klik/[^"]+)"[^>]*>Meer tips', mail.html)
    assert LINK not in mail.html and redirect in mail.text
    assert "/nieuwsbrief/afmelden/" in mail.html  # the reader's own links are never rewritten
    for _ in range(2):
        response = client.get(path_of(redirect))
        assert response.status_code == 302 and response.location == LINK
    page = client.get(f"/beheer/campagnes/{campaign.id}").get_data(as_text=True)
    assert re.search(r"tips\?a=1&amp;b=2</th><td>2</td>", page)


def test_forged_or_tampered_click_links_lead_nowhere(client: FlaskClient) -> None:
    campaign, mail = launch_with_link(client, track=True)
    (redirect,) = re.findall(r'href="http://localhost(/nieuwsbrief/klik/[^"]+)"[^>]*>Meer tips', mail.html)
    assert client.get(redirect[:-2] + "xx").status_code == 404
    unknown = tokens.make_token(CLICK_SALT, {"c": campaign.id, "p": 99})
    assert client.get(f"/nieuwsbrief/klik/{unknown}").status_code == 404
    other_purpose = tokens.make_token(tokens.UNSUBSCRIBE_SALT, {"c": campaign.id, "p": 0})
    assert client.get(f"/nieuwsbrief/klik/{other_purpose}").status_code == 404
    assert client.get("/nieuwsbrief/klik/x?url=https://evil.example").status_code == 404
