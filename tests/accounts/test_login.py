from __future__ import annotations

from flask.testing import FlaskClient

from accounts.models import Role
from tests.factories import PASSWORD, login, make_organisation, make_user


def test_login_with_right_password_opens_the_dashboard(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    login(client, user)
    assert client.get("/beheer/").status_code == 200


def test_wrong_password_is_refused_with_a_message(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    response = client.post("/beheer/inloggen", data={"email": user.email, "password": PASSWORD + "x"})
    assert response.status_code == 400
    assert "horen niet bij elkaar" in response.get_data(as_text=True)


def test_anonymous_admin_request_goes_to_login(client: FlaskClient) -> None:
    response = client.get("/beheer/evenementen/")
    assert response.status_code == 302
    assert "/beheer/inloggen" in response.headers["Location"]


def test_logout_ends_every_session_of_the_user(app, client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    other_device = app.test_client()
    login(client, user)
    login(other_device, user)
    client.post("/beheer/uitloggen")
    assert other_device.get("/beheer/").status_code == 302
