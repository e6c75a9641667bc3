"""The agenda to embed: framable only by the organisation's own listed sites, no cookies, its colour."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from accounts.embedding import NotAnOrigin, embedding_origin, readable_colour
from accounts.models import Role
from events.models import Audience, EventStatus
from extensions import db
from tests.factories import login, make_event, make_organisation, make_user


def test_agenda_lists_the_organisations_upcoming_events_with_links_out_of_the_frame(client: FlaskClient) -> None:
    organisation = make_organisation(embed_origins=["https://www.gemeente.example"])
    event = make_event(organisation, title="Phishing herkennen")
    make_event(organisation, status=EventStatus.DRAFT, title="Concept")
    make_event(make_organisation(), title="Elders")
    response = client.get(f"/insluiten/{organisation.slug}/agenda")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Phishing herkennen" in page
    assert "Concept" not in page and "Elders" not in page
    assert f'target="_top" href="/evenementen/{event.id}/{event.slug}"' in page
    assert "Set-Cookie" not in response.headers


def test_only_the_listed_origins_may_frame_the_embed_pages(client: FlaskClient) -> None:
    organisation = make_organisation(embed_origins=["https://www.gemeente.example", "https://agenda.gemeente.example"])
    for path in (f"/insluiten/{organisation.slug}/agenda", f"/insluiten/{organisation.slug}/nieuwsbrief"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors https://www.gemeente.example https://agenda.gemeente.example" in policy
        assert "X-Frame-Options" not in response.headers
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy


def test_without_listed_origins_nobody_may_frame_them(client: FlaskClient) -> None:
    organisation = make_organisation()
    response = client.get(f"/insluiten/{organisation.slug}/agenda")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_every_other_page_keeps_refusing_frames(client: FlaskClient) -> None:
    organisation = make_organisation(embed_origins=["https://www.gemeente.example"])
    event = make_event(organisation)
    for path in ("/", f"/evenementen/{event.id}/{event.slug}", f"/nieuwsbrief/{organisation.slug}", "/api/v1/events",
                 f"/archief/{organisation.slug}"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_the_brand_colour_is_darkened_to_a_readable_contrast(client: FlaskClient) -> None:
    organisation = make_organisation(brand_colour="#ffcc00")
    page = client.get(f"/insluiten/{organisation.slug}/agenda").get_data(as_text=True)
    assert "#ffcc00" not in page and f"--embed-brand: {readable_colour('#ffcc00')}" in page
    assert readable_colour("#154273") == "#154273"


@pytest.mark.parametrize(("typed", "origin"), [
    ("https://www.gemeente.example", "https://www.gemeente.example"),
    ("HTTPS://WWW.Gemeente.Example/", "https://www.gemeente.example"),
    ("https://www.gemeente.example:443", "https://www.gemeente.example"),
    ("https://agenda.gemeente.example:8443", "https://agenda.gemeente.example:8443"),
])
def test_origins_are_kept_in_their_normal_form(typed: str, origin: str) -> None:
    assert embedding_origin(typed) == origin


@pytest.mark.parametrize("typed", ["http://www.gemeente.example", "https://www.gemeente.example/agenda",
                                   "https://*.gemeente.example", "https://user@www.gemeente.example",
                                   "https://www.gemeente.example?x=1", "'self'", "https://localhost",
                                   "https://www.gemeente.example; script-src *", "javascript:alert(1)"])
def test_anything_but_an_https_origin_is_refused(typed: str) -> None:
    with pytest.raises(NotAnOrigin):
        embedding_origin(typed)


def _settings_form(organisation: object, origins: str) -> dict[str, str]:
    return {"name": organisation.name, "slug": organisation.slug, "kind": "municipality", "brand_colour": "#154273",
            "retention_days": "365", "embed_origins": origins}


def test_admin_lists_the_sites_in_the_settings(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ADMIN))
    url = f"/beheer/organisaties/{organisation.id}/instellingen"
    refused = client.post(url, data=_settings_form(organisation, "https://www.gemeente.example\nhttp://evil.example"))
    assert refused.status_code == 400 and "http://evil.example is geen https-adres" in refused.get_data(as_text=True)
    saved = client.post(url, data=_settings_form(organisation, " https://www.gemeente.example/ \n\nhttps://www.gemeente.example"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert organisation.embed_origins == ["https://www.gemeente.example"]
    page = client.get(url).get_data(as_text=True)
    assert "https://www.gemeente.example</textarea>" in page and "js/widget.js" in page


def test_agenda_takes_the_listing_filters_but_never_another_organisation(client: FlaskClient) -> None:
    organisation = make_organisation()
    other = make_organisation()
    make_event(organisation, audience=Audience.SMES, title="Voor ondernemers")
    make_event(organisation, audience=Audience.CITIZENS, title="Voor inwoners")
    make_event(other, audience=Audience.SMES, title="Van de buren")
    page = client.get(f"/insluiten/{organisation.slug}/agenda?doelgroep=smes&organisatie={other.slug}")
    text = page.get_data(as_text=True)
    assert "Voor ondernemers" in text and "Voor inwoners" not in text and "Van de buren" not in text
