"""Optional two-factor login (TOTP), set up on the own account page; required for regional admins on request."""
from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import RecoveryCode, Role, User
from extensions import db
from tests.accounts.test_password_reset import new_password, request_reset, reset_link
from tests.factories import PASSWORD, login, make_organisation, make_user

SETUP_URL = "/beheer/account/tweestapsverificatie"
CODE_URL = "/beheer/inloggen/code"


def _set_up(client: FlaskClient, user: User) -> tuple[str, list[str]]:
    """Turns two-factor login on through the pages; returns the secret and the recovery codes shown."""
    login(client, user)
    page = client.get(SETUP_URL).get_data(as_text=True)
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page).group(1)
    response = client.post(SETUP_URL, data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", response.get_data(as_text=True))
    client.post("/beheer/uitloggen")
    return secret, codes


def _next_code(secret: str) -> str:
    """The code of the next 30-second step: set-up has used the current one, and that one is spent."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _password_step(client: FlaskClient, user: User) -> None:
    response = client.post("/beheer/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CODE_URL)


def test_setup_page_shows_an_inline_qr_code_of_the_provisioning_uri(client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ADMIN))
    page = client.get(SETUP_URL).get_data(as_text=True)
    assert '<div class="qr-code" role="img"' in page
    assert "<svg" in page and "http" not in page.split('<div class="qr-code"')[1].split("</div>")[0].replace(
        "http://www.w3.org/2000/svg", "")


def test_setup_with_a_wrong_code_is_refused_and_changes_nothing(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    login(client, user)
    client.get(SETUP_URL)
    response = client.post(SETUP_URL, data={"code": "000000"})
    assert response.status_code == 400
    assert "Deze code klopt niet." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_secret is None


def test_setup_shows_ten_recovery_codes_once_and_stores_only_hashes(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    _secret, codes = _set_up(client, user)
    assert len(codes) == len(set(codes)) == 10
    stored = list(db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(stored) == 10
    assert not set(codes) & set(stored)


def test_login_asks_for_the_code_after_the_password(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    secret, _codes = _set_up(client, user)
    _password_step(client, user)
    assert client.get("/beheer/").status_code == 302  # not logged in yet
    response = client.post(CODE_URL, data={"code": _next_code(secret)})
    assert response.status_code == 302
    assert client.get("/beheer/").status_code == 200


def test_wrong_code_is_400_with_a_dutch_message(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    secret, _codes = _set_up(client, user)
    _password_step(client, user)
    wrong = f"{(int(_next_code(secret)) + 500000) % 1000000:06d}"
    response = client.post(CODE_URL, data={"code": wrong})
    assert response.status_code == 400
    assert "Deze code klopt niet." in response.get_data(as_text=True)
    assert client.get("/beheer/").status_code == 302


def test_a_code_used_once_is_refused_the_second_time(app: Flask, client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    secret, _codes = _set_up(client, user)
    code = _next_code(secret)
    _password_step(client, user)
    assert client.post(CODE_URL, data={"code": code}).status_code == 302
    eavesdropper = app.test_client()
    with app.app_context():  # a fresh context, as on a real server: no user cached in `g`
        _password_step(eavesdropper, user)
        response = eavesdropper.post(CODE_URL, data={"code": code})
    assert response.status_code == 400
    assert "Deze code is al gebruikt." in response.get_data(as_text=True)


def test_a_recovery_code_works_once(app: Flask, client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    _secret, codes = _set_up(client, user)
    _password_step(client, user)
    assert client.post(CODE_URL, data={"code": codes[0].upper()}).status_code == 302
    again = app.test_client()
    with app.app_context():  # a fresh context, as on a real server: no user cached in `g`
        _password_step(again, user)
        assert again.post(CODE_URL, data={"code": codes[0]}).status_code == 400


def test_the_code_step_needs_the_password_step_first(client: FlaskClient) -> None:
    response = client.post(CODE_URL, data={"code": "123456"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/beheer/inloggen"


def test_the_code_step_is_rate_limited(app_with: Callable[..., Flask]) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    limited = app_with(RATELIMIT_ENABLED=True, TWO_FACTOR_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    secret, _codes = _set_up(client, user)
    _password_step(client, user)
    statuses = [client.post(CODE_URL, data={"code": "000000"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    response = client.post(CODE_URL, data={"code": _next_code(secret)})
    assert response.status_code == 429
    assert "U heeft dit te vaak geprobeerd." in response.get_data(as_text=True)


def test_two_factor_can_be_turned_off_with_a_current_code(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    secret, _codes = _set_up(client, user)
    _password_step(client, user)
    client.post(CODE_URL, data={"code": _next_code(secret)})
    assert client.post(f"{SETUP_URL}/uitzetten", data={"code": "000000"}).status_code == 400
    response = client.post(f"{SETUP_URL}/uitzetten", data={"code": _codes[0]})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is None
    client.post("/beheer/uitloggen")
    response = client.post("/beheer/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/beheer/"  # the password alone is enough again


def test_regional_admin_must_set_up_two_factor_when_required(app: Flask, client: FlaskClient) -> None:
    app.config["REQUIRE_2FA_FOR_REGIONAL_ADMIN"] = True
    regional = make_user(regional_admin=True)
    login(client, regional)
    for url in ("/beheer/", "/beheer/evenementen/", "/beheer/organisaties/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == SETUP_URL
    assert "verplicht" in client.get(SETUP_URL).get_data(as_text=True)
    assert client.get("/").status_code == 200  # public pages stay open


def test_regional_admin_with_two_factor_uses_admin_pages_and_cannot_turn_it_off(
    app: Flask, client: FlaskClient
) -> None:
    app.config["REQUIRE_2FA_FOR_REGIONAL_ADMIN"] = True
    regional = make_user(regional_admin=True)
    secret, _codes = _set_up(client, regional)
    _password_step(client, regional)
    client.post(CODE_URL, data={"code": _next_code(secret)})
    assert client.get("/beheer/evenementen/").status_code == 200
    assert client.post(f"{SETUP_URL}/uitzetten", data={"code": _codes[0]}).status_code == 400
    db.session.refresh(regional)
    assert regional.totp_secret is not None


def test_other_roles_are_not_forced_when_required_for_regional_admins(app: Flask, client: FlaskClient) -> None:
    app.config["REQUIRE_2FA_FOR_REGIONAL_ADMIN"] = True
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get("/beheer/").status_code == 200


def test_a_password_reset_still_asks_for_the_code(client: FlaskClient) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    secret, _codes = _set_up(client, user)
    request_reset(client, user.email)
    response = client.post(reset_link(user.email), data=new_password())
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CODE_URL)
    assert client.get("/beheer/").status_code == 302
    assert client.post(CODE_URL, data={"code": _next_code(secret)}).status_code == 302
    assert client.get("/beheer/").status_code == 200
