"""Error pages: a clear Dutch page with the right status, never Werkzeug's English default."""
from __future__ import annotations

from flask import Flask

from tests.factories import make_event, make_organisation, signup_url


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
