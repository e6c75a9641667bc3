"""Organisations: regional admins list, create and edit them; an organisation admin edits their own."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Organisation, OrganisationKind, Role
from extensions import db
from tests.factories import login, make_organisation, make_user


def settings(**extra: str) -> dict[str, str]:
    return {
        "name": "Gemeente Nieuwstad",
        "slug": "gemeente-nieuwstad",
        "kind": "municipality",
        "brand_colour": "#A01B2C",
        "logo_url": "https://www.nieuwstad.nl/logo.svg",
        "mail_from_name": "Gemeente Nieuwstad",
        "mail_from_address": "weerbaar@nieuwstad.nl",
        "reply_to": "info@nieuwstad.nl",
        "privacy_contact": "privacy@nieuwstad.nl",
        "privacy_statement": "Wij bewaren uw gegevens tot een jaar na de bijeenkomst.\nVragen? Mail ons.",
        "retention_days": "730",
    } | extra


def settings_url(organisation: Organisation) -> str:
    return f"/beheer/organisaties/{organisation.id}/instellingen"


def stored(slug: str) -> Organisation | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))


def test_regional_admin_lists_every_organisation(client: FlaskClient) -> None:
    first, second = make_organisation(), make_organisation()
    login(client, make_user(regional_admin=True))
    page = client.get("/beheer/organisaties/").get_data(as_text=True)
    assert first.name in page and second.name in page
    assert "/beheer/organisaties/nieuw" in page


def test_regional_admin_creates_an_organisation(client: FlaskClient) -> None:
    login(client, make_user(regional_admin=True))
    assert client.get("/beheer/organisaties/nieuw").status_code == 200
    response = client.post("/beheer/organisaties/nieuw", data=settings())
    assert response.status_code == 302
    organisation = stored("gemeente-nieuwstad")
    assert organisation.kind == OrganisationKind.MUNICIPALITY
    assert organisation.brand_colour == "#a01b2c"
    assert organisation.retention_days == 730
    assert organisation.privacy_statement.startswith("Wij bewaren")
    assert organisation.reply_to == "info@nieuwstad.nl"


def test_organisation_admin_edits_their_own_settings(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ADMIN))
    assert organisation.name in client.get(settings_url(organisation)).get_data(as_text=True)
    response = client.post(settings_url(organisation), data=settings(slug=organisation.slug, kind="partner"))
    assert response.status_code == 302
    changed = stored(organisation.slug)
    assert changed.name == "Gemeente Nieuwstad" and changed.kind == OrganisationKind.PARTNER


def test_organisation_admin_sees_only_their_own_organisation(client: FlaskClient) -> None:
    own, other = make_organisation(), make_organisation()
    login(client, make_user(own, Role.ADMIN))
    page = client.get("/beheer/organisaties/").get_data(as_text=True)
    assert own.name in page and other.name not in page
    assert "/beheer/organisaties/nieuw" not in page


def test_organisation_admin_cannot_create_organisations(client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get("/beheer/organisaties/nieuw").status_code == 403
    assert client.post("/beheer/organisaties/nieuw", data=settings()).status_code == 403
    assert stored("gemeente-nieuwstad") is None


def test_admin_of_another_organisation_gets_404(client: FlaskClient) -> None:
    organisation = make_organisation(name="Gemeente Ander")
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get(settings_url(organisation)).status_code == 404
    assert client.post(settings_url(organisation), data=settings(slug=organisation.slug)).status_code == 404
    assert stored(organisation.slug).name == "Gemeente Ander"


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.COMMUNICATIONS, Role.CHECKIN])
def test_other_roles_get_403(client: FlaskClient, role: Role) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, role))
    assert client.get("/beheer/organisaties/").status_code == 403
    assert client.get(settings_url(organisation)).status_code == 403
    assert client.post("/beheer/organisaties/nieuw", data=settings()).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Vul een naam in."),
        ("slug", "Gemeente Nieuwstad", "Gebruik alleen kleine letters, cijfers en streepjes."),
        ("slug", "-nieuwstad", "Gebruik alleen kleine letters, cijfers en streepjes."),
        ("kind", "provincie", "Kies een van de aangeboden mogelijkheden."),
        ("brand_colour", "rood", "Schrijf de kleur als #RRGGBB"),
        ("brand_colour", "#12345", "Schrijf de kleur als #RRGGBB"),
        ("logo_url", "http://www.nieuwstad.nl/logo.svg", "Gebruik een https://-adres."),
        ("logo_url", "javascript:alert(1)", "Gebruik een https://-adres."),
        ("mail_from_address", "geen adres", "Dit is geen geldig e-mailadres."),
        ("reply_to", "ook@geen@adres", "Dit is geen geldig e-mailadres."),
        ("retention_days", "0", "Kies een aantal van 1 tot en met 3650 dagen."),
        ("retention_days", "3651", "Kies een aantal van 1 tot en met 3650 dagen."),
        ("retention_days", "", "Vul een aantal dagen in."),
        ("name", "x" * 201, "200"),
    ],
)
def test_invalid_settings_are_a_400_and_store_nothing(client: FlaskClient, field: str, value: str,
                                                      message: str) -> None:
    organisation = make_organisation(name="Gemeente Oud")
    login(client, make_user(regional_admin=True))
    created = client.post("/beheer/organisaties/nieuw", data=settings(**{field: value}))
    edited = client.post(settings_url(organisation), data=settings(**{"slug": organisation.slug, field: value}))
    for response in (created, edited):
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert stored("gemeente-nieuwstad") is None
    assert stored(organisation.slug).name == "Gemeente Oud"


def test_slug_already_in_use_is_refused(client: FlaskClient) -> None:
    taken = make_organisation(slug="gemeente-bezet")
    organisation = make_organisation(name="Gemeente Oud")
    login(client, make_user(regional_admin=True))
    created = client.post("/beheer/organisaties/nieuw", data=settings(slug=taken.slug))
    edited = client.post(settings_url(organisation), data=settings(slug=taken.slug))
    for response in (created, edited):
        assert response.status_code == 409
        assert "al in gebruik" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 2
    assert stored(organisation.slug).name == "Gemeente Oud"


def test_line_breaks_in_the_sender_name_are_folded(client: FlaskClient) -> None:
    login(client, make_user(regional_admin=True))
    client.post("/beheer/organisaties/nieuw", data=settings(mail_from_name="Nieuwstad\r\nBcc: victim@example.org"))
    assert stored("gemeente-nieuwstad").mail_from_name == "Nieuwstad Bcc: victim@example.org"


def test_nav_shows_organisations_only_to_those_who_may_manage_them(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    assert 'href="/beheer/organisaties/"' not in client.get("/beheer/").get_data(as_text=True)
    client.post("/beheer/uitloggen")
    login(client, make_user(organisation, Role.ADMIN))
    assert 'href="/beheer/organisaties/"' in client.get("/beheer/").get_data(as_text=True)
