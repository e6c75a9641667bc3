"""Error pages: a clear Dutch page with the right status, never Werkzeug's English default."""
from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import make_event, make_organisation, outbox, signup_url


def test_post_without_csrf_token_is_400_with_a_dutch_explanation(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    event = make_event(make_organisation())
    response = app.test_client().post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Het formulier was verlopen of onvolledig" in page
    assert "CSRF" not in page


def test_unknown_page_is_a_dutch_404(app: Flask) -> None:
    response = app.test_client().get("/bestaat-niet")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet (meer)." in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/evenementen/99999999999999999999/x",
    "/beheer/mail/99999999999999999999",
    "/?pagina=99999999999999999999",
    "/?pagina=0",
])
def test_absurd_numbers_in_urls_are_404_not_500(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code in (302, 404)  # 302: the admin route asks to log in first


@pytest.mark.parametrize("url", ["/?organisatie=a%00b", "/evenementen/1/a%00b", "/evenementen.json?soort=%00"])
def test_nul_bytes_in_a_request_are_400_not_500(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert "ongeldige tekens" in response.get_data(as_text=True)


def test_nul_byte_in_a_posted_form_is_400_and_stores_nothing(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    response = client.post(signup_url(event), data={"name": "An\x00na", "email": "anna@example.org"})
    assert response.status_code == 400
    assert outbox() == []
