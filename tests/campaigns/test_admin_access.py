"""Who may use the campaign and contact pages: communications and admins of the organisation."""
from __future__ import annotations

import pytest
from flask import current_app, url_for
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from campaigns.models import Campaign
from tests.factories import login, make_campaign, make_contact_list, make_organisation, make_user

ADMIN_AREAS = ("campaigns.", "contacts.", "campaign_sending.", "campaign_delivery.")


def object_urls(organisation: Organisation) -> list[tuple[str, str]]:
    """Every (method, URL) of the campaign admin naming a campaign or list, read from the URL map."""
    ids = {"campaign_id": make_campaign(organisation).id, "list_id": make_contact_list(organisation).id}
    urls = []
    with current_app.test_request_context():
        for rule in current_app.url_map.iter_rules():
            if rule.endpoint.startswith(ADMIN_AREAS) and set(rule.arguments) & set(ids):
                url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
                urls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(urls) >= 15
    return urls


def area_urls(organisation: Organisation) -> list[str]:
    pages = ["/beheer/campagnes/", "/beheer/campagnes/nieuw", "/beheer/contacten/", "/beheer/contacten/lijsten",
             "/beheer/contacten/import"]
    return [f"{page}?organisatie={organisation.id}" for page in pages]


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.CHECKIN])
def test_roles_without_manage_campaigns_get_403(client: FlaskClient, role: Role) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, role))
    for method, url in object_urls(organisation):
        assert client.open(url, method=method).status_code == 403, (method, url)
    for url in area_urls(organisation):
        assert client.get(url).status_code == 403, url


def test_another_organisations_officer_gets_404_everywhere(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(make_organisation(), Role.COMMUNICATIONS))
    for method, url in object_urls(organisation):
        assert client.open(url, method=method).status_code == 404, (method, url)
    for url in area_urls(organisation):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", [Role.COMMUNICATIONS, Role.ADMIN])
def test_communications_and_admin_may_open_every_page(client: FlaskClient, role: Role) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, role))
    for url in area_urls(organisation):
        assert client.get(url).status_code == 200, url
    for method, url in object_urls(organisation):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_regional_admin_sees_every_organisation(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    login(client, make_user(None, None, regional_admin=True))
    assert client.get(f"/beheer/campagnes/{campaign.id}").status_code == 200
    assert campaign.name in client.get(f"/beheer/campagnes/?organisatie={organisation.id}").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(client: FlaskClient) -> None:
    campaign: Campaign = make_campaign(make_organisation())
    response = client.get(f"/beheer/campagnes/{campaign.id}")
    assert response.status_code == 302 and "/beheer/inloggen" in response.location


def test_dashboard_and_menu_link_to_campaigns(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.COMMUNICATIONS))
    page = client.get("/beheer/").get_data(as_text=True)
    assert page.count('href="/beheer/campagnes/"') >= 2
