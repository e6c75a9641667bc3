"""Security headers on every response; HSTS and secure cookies in production."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from tests.factories import PASSWORD, login, make_event, make_organisation, make_user, signup_url


def _directives(policy: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("url", ["/", "/beheer/inloggen", "/bestaat-niet", "/healthz", "/static/css/app.css"])
def test_every_response_carries_the_security_headers(client: FlaskClient, url: str) -> None:
    headers = client.get(url).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_csp_allows_no_inline_script(client: FlaskClient) -> None:
    policy = _directives(client.get("/").headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert "'unsafe-inline'" not in client.get("/").headers["Content-Security-Policy"]


def test_pages_contain_no_inline_script_or_style_attribute(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    for url in ("/", signup_url(event), "/beheer/inloggen", "/beheer/wachtwoord-vergeten"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page, url


def test_permissions_policy_allows_the_camera_only_for_our_own_origin(client: FlaskClient) -> None:
    policy = dict(part.strip().split("=", 1) for part in client.get("/").headers["Permissions-Policy"].split(","))
    assert policy["camera"] == "(self)"
    assert policy["microphone"] == "()"
    assert policy["geolocation"] == "()"


def test_no_hsts_outside_production(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_production_sends_hsts(app_with: Callable[..., Flask]) -> None:
    response = app_with("production").test_client().get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_production_session_cookie_is_secure_httponly_and_samesite_lax(app_with: Callable[..., Flask]) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    data = {"email": user.email, "password": PASSWORD}
    response = app_with("production").test_client().post("/beheer/inloggen", data=data, base_url="https://localhost")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"


def test_admin_pages_are_not_cached(client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ORGANISER))
    assert client.get("/beheer/").headers["Cache-Control"] == "no-store"
