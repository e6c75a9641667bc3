"""The admin start page lists exactly the sections the user may use."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from accounts.models import Role
from tests.factories import login, make_organisation, make_user

SECTIONS = {  # the dashboard's own links (the navigation bar has links of its own)
    "events": 'href="/beheer/evenementen/">Evenementen beheren',
    "mail": 'href="/beheer/mail/">Verstuurde e-mail bekijken',
    "users": "/gebruikers\">Gebruikers van",
    "organisations": 'href="/beheer/organisaties/">Organisaties en hun instellingen',
}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, {"events", "mail", "users", "organisations"}),
        (Role.ORGANISER, {"events"}),
        (Role.COMMUNICATIONS, {"mail"}),
        (Role.CHECKIN, set()),
    ],
)
def test_dashboard_lists_the_sections_of_the_role(client: FlaskClient, role: Role, expected: set[str]) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, role))
    page = client.get("/beheer/").get_data(as_text=True)
    assert {name for name, link in SECTIONS.items() if link in page} == expected


def test_dashboard_links_to_the_users_page_of_each_administered_organisation(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ADMIN))
    page = client.get("/beheer/").get_data(as_text=True)
    assert f'href="/beheer/organisaties/{organisation.id}/gebruikers"' in page


def test_regional_admin_without_organisations_may_start_creating_them(client: FlaskClient) -> None:
    login(client, make_user(regional_admin=True))
    page = client.get("/beheer/").get_data(as_text=True)
    assert SECTIONS["organisations"] in page
    assert "/beheer/organisaties/nieuw" in client.get("/beheer/organisaties/").get_data(as_text=True)


def test_user_without_any_role_is_told_to_ask_for_access(client: FlaskClient) -> None:
    login(client, make_user(None, None))
    assert "U heeft nog geen rol" in client.get("/beheer/").get_data(as_text=True)
