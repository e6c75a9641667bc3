"""Sessions: rotated at login, dead after logout, ended after ADMIN_IDLE_MINUTES without a request."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from tests.factories import login, make_organisation, make_user


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _get_with_cookie(app: Flask, value: str, url: str = "/beheer/") -> int:
    """The status of `url` for another browser holding a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    with app.app_context():  # a fresh context, as on a real server: no user cached in `g`
        return other.get(url).status_code


def test_login_rotates_the_session(app: Flask, client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before_login = _session_cookie(client)
    login(client, make_user(make_organisation(), Role.ORGANISER))
    with client.session_transaction() as session:
        assert "planted" not in session
    assert _session_cookie(client) != before_login
    assert _get_with_cookie(app, before_login) == 302


def test_a_copied_session_cookie_is_useless_after_logout(app: Flask, client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ORGANISER))
    copied = _session_cookie(client)
    assert _get_with_cookie(app, copied) == 200
    client.post("/beheer/uitloggen")
    assert _get_with_cookie(app, copied) == 302


def _go_idle(client: FlaskClient, seconds: int) -> None:
    with client.session_transaction() as session:
        session["last_seen"] -= seconds


def test_admin_session_ends_after_the_idle_timeout_with_a_dutch_message(app: Flask, client: FlaskClient) -> None:
    app.config["ADMIN_IDLE_MINUTES"] = 30
    login(client, make_user(make_organisation(), Role.ORGANISER))
    client.get("/beheer/")
    _go_idle(client, 31 * 60)
    response = client.get("/beheer/evenementen/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/beheer/inloggen?next=/beheer/evenementen/")
    login_page = client.get(response.headers["Location"])
    assert "U was een tijd niet actief en bent daarom uitgelogd." in login_page.get_data(as_text=True)
    assert client.get("/beheer/").status_code == 302


def test_activity_within_the_idle_timeout_keeps_the_session(app: Flask, client: FlaskClient) -> None:
    app.config["ADMIN_IDLE_MINUTES"] = 30
    login(client, make_user(make_organisation(), Role.ORGANISER))
    client.get("/beheer/")
    _go_idle(client, 29 * 60)
    assert client.get("/beheer/").status_code == 200
    _go_idle(client, 29 * 60)  # counted from the last request, not from the login
    assert client.get("/beheer/").status_code == 200


def test_idle_session_on_a_public_page_is_ended_without_a_detour(app: Flask, client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ORGANISER))
    client.get("/beheer/")
    _go_idle(client, (app.config["ADMIN_IDLE_MINUTES"] + 1) * 60)
    assert client.get("/").status_code == 200
    assert client.get("/beheer/").status_code == 302
