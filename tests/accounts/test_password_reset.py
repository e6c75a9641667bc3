"""Password reset by emailed link: no enumeration, one-time links, expiry, tampering, validation."""
from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role, User
from extensions import db
from tests.factories import PASSWORD, as_sent, login, make_organisation, make_user, outbox

NEW_PASSWORD = "een nieuw en lang wachtwoord"


def reset_link(email: str) -> str:
    (message,) = [m for m in outbox("password_reset") if m.to_address == email]
    return re.search(r"http://localhost(/beheer/wachtwoord/[^\s>]+)", as_sent(message).text).group(1)


def request_reset(client: FlaskClient, email: str) -> str:
    response = client.post("/beheer/wachtwoord-vergeten", data={"email": email})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def new_password(password: str = NEW_PASSWORD, again: str | None = None) -> dict[str, str]:
    return {"password": password, "password_again": password if again is None else again}


def test_login_page_links_to_the_reset_form(client: FlaskClient) -> None:
    page = client.get("/beheer/inloggen").get_data(as_text=True)
    assert "Wachtwoord vergeten?" in page and "/beheer/wachtwoord-vergeten" in page
    assert client.get("/beheer/wachtwoord-vergeten").status_code == 200


def test_reset_link_sets_a_new_password_that_logs_in(app: Flask, client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    (message,) = outbox("password_reset")
    assert message.organisation_id is None
    assert message.from_address == app.config["MAIL_DEFAULT_SENDER"]
    assert "/beheer/wachtwoord/" in as_sent(message).html
    link = reset_link(user.email)
    assert client.get(link).status_code == 200
    response = client.post(link, data=new_password())
    assert response.status_code == 302 and response.headers["Location"].endswith("/beheer/")
    assert client.get("/beheer/").status_code == 200
    client.post("/beheer/uitloggen")
    login(client, user, NEW_PASSWORD)


def test_reset_link_works_only_once(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    link = reset_link(user.email)
    client.post(link, data=new_password())
    second = client.post(link, data=new_password("nog een ander wachtwoord"))
    assert second.status_code == 410
    assert "al gebruikt" in second.get_data(as_text=True)
    client.post("/beheer/uitloggen")
    login(client, user, NEW_PASSWORD)


def test_reset_link_is_refused_after_another_password_change(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    first = reset_link(user.email)
    client.post(first, data=new_password())
    request_reset(client, user.email)
    second = [re.search(r"(/beheer/wachtwoord/[^\s>]+)", as_sent(m).text).group(1) for m in outbox("password_reset")][-1]
    assert client.post(second, data=new_password("nog een ander wachtwoord")).status_code == 302
    assert client.post(first, data=new_password("een derde lang wachtwoord")).status_code == 410


def test_an_older_reset_link_dies_when_a_newer_one_is_asked_for(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    first = reset_link(user.email)  # sent at once, as the worker does
    request_reset(client, user.email)
    second = re.search(r"(/beheer/wachtwoord/[^\s>]+)", as_sent(outbox("password_reset")[-1]).text).group(1)
    refused = client.post(first, data=new_password())
    assert refused.status_code == 410 and "vervangen door een nieuwere" in refused.get_data(as_text=True)
    assert client.post(second, data=new_password()).status_code == 302


def test_unknown_address_gets_the_same_page_and_no_mail(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    known = request_reset(client, user.email)
    unknown = request_reset(client, "niemand@example.org")
    assert known == unknown
    assert [m.to_address for m in outbox()] == [user.email]


def test_inactive_user_gets_no_reset_mail(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER, active=False)
    request_reset(client, user.email)
    assert outbox() == []


def test_expired_link_answers_410(app: Flask, client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    link = reset_link(user.email)
    app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] = -1  # every token is older than that
    response = client.post(link, data=new_password())
    assert response.status_code == 410
    assert "verlopen" in response.get_data(as_text=True)
    login(client, user, PASSWORD)


def test_tampered_link_answers_404_with_a_message(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    link = reset_link(user.email)
    tampered = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    response = client.get(tampered)
    assert response.status_code == 404
    assert "Deze link klopt niet" in response.get_data(as_text=True)
    assert client.get("/beheer/wachtwoord/zomaar-iets").status_code == 404


def test_invitation_link_is_no_reset_link(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    token = reset_link(user.email).rsplit("/", 1)[1]
    assert client.get(f"/beheer/uitnodiging/{token}").status_code == 404


def test_new_password_is_validated_and_nothing_changes(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    request_reset(client, user.email)
    link = reset_link(user.email)
    cases = [
        (new_password("te kort"), "12 tot 200 tekens"),
        (new_password("x" * 201), "12 tot 200 tekens"),
        (new_password(NEW_PASSWORD, "iets anders dan dat"), "niet gelijk"),
        ({}, "Vul een wachtwoord in"),
    ]
    hash_before = user.password_hash
    for data, message in cases:
        response = client.post(link, data=data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == hash_before
    assert client.post(link, data=new_password()).status_code == 302


def test_invalid_address_on_the_request_form_is_a_400(client: FlaskClient) -> None:
    response = client.post("/beheer/wachtwoord-vergeten", data={"email": "geen-adres"})
    assert response.status_code == 400
    assert "geen geldig e-mailadres" in response.get_data(as_text=True)
    assert outbox() == []


def test_reset_ends_other_sessions(app: Flask, client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    other_device = app.test_client()
    login(other_device, user)
    request_reset(client, user.email)
    client.post(reset_link(user.email), data=new_password())
    with app.app_context():  # a fresh context, as on a real server: no user cached in `g`
        assert other_device.get("/beheer/").status_code == 302


def test_request_form_is_rate_limited(database_url: str, schema: None) -> None:
    from app import create_app

    limited = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                                     "PASSWORD_RESET_RATE_LIMIT": "2 per minute"})
    client = limited.test_client()
    statuses = [client.post("/beheer/wachtwoord-vergeten", data={"email": "a@example.org"}).status_code
                for _ in range(3)]
    with limited.app_context():
        db.engine.dispose()
    assert statuses == [200, 200, 429]
