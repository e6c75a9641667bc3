"""The subscribe form in an organisation's iframe: no session cookie needed, yet no forged POST gets through."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.factories import make_event, make_organisation, outbox

OWN_ORIGIN = {"Origin": "http://localhost"}


def _form_token(client: FlaskClient, slug: str) -> str:
    page = client.get(f"/insluiten/{slug}/nieuwsbrief").get_data(as_text=True)
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)


def _data(token: str) -> dict[str, str]:
    return {"email": "anna@example.org", "audience": "citizen", "consent": "y", "form_token": token}


def test_subscribing_in_the_frame_mails_a_confirmation_without_any_cookie(client: FlaskClient) -> None:
    organisation = make_organisation(embed_origins=["https://www.gemeente.example"])
    page = client.get(f"/insluiten/{organisation.slug}/nieuwsbrief")
    assert "Set-Cookie" not in page.headers and "csrf_token" not in page.get_data(as_text=True)
    token = _form_token(client, organisation.slug)
    client.delete_cookie("session")
    response = client.post(f"/insluiten/{organisation.slug}/nieuwsbrief", data=_data(token), headers=OWN_ORIGIN)
    assert response.status_code == 200 and "Controleer uw e-mail" in response.get_data(as_text=True)
    assert "frame-ancestors https://www.gemeente.example" in response.headers["Content-Security-Policy"]
    (row,) = outbox("confirm_subscription")
    assert row.to_address == "anna@example.org"


def test_a_post_from_another_site_is_refused(client: FlaskClient) -> None:
    organisation = make_organisation()
    token = _form_token(client, organisation.slug)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        response = client.post(f"/insluiten/{organisation.slug}/nieuwsbrief", data=_data(token), headers=headers)
        assert response.status_code == 403
    assert outbox("confirm_subscription") == []


def test_a_post_without_a_genuine_form_token_is_refused(client: FlaskClient) -> None:
    organisation = make_organisation()
    other = make_organisation()
    for token in ("", "vervalst", _form_token(client, other.slug)):
        response = client.post(f"/insluiten/{organisation.slug}/nieuwsbrief", data=_data(token), headers=OWN_ORIGIN)
        assert response.status_code == 400 and "Het formulier was verlopen" in response.get_data(as_text=True)
    assert outbox("confirm_subscription") == []


def test_missing_consent_is_shown_beside_the_field(client: FlaskClient) -> None:
    organisation = make_organisation()
    data = _data(_form_token(client, organisation.slug)) | {"consent": ""}
    response = client.post(f"/insluiten/{organisation.slug}/nieuwsbrief", data=data, headers=OWN_ORIGIN)
    assert response.status_code == 400 and "Geef toestemming om u te mailen." in response.get_data(as_text=True)


def test_public_pages_link_to_the_newsletter(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    listing = client.get("/").get_data(as_text=True)
    assert f'href="/nieuwsbrief/{organisation.slug}"' in listing
    detail = client.get(f"/evenementen/{event.id}/{event.slug}").get_data(as_text=True)
    assert f'href="/nieuwsbrief/{organisation.slug}"' in detail and f'href="/archief/{organisation.slug}"' in detail
