"""Attack: `next=` sends a visitor to another site after login or a language switch (open redirect).

Over real HTTP, because what matters is the `Location` a browser gets: browsers drop tab and
newline from a URL and read a backslash as a slash, so `/\t/evil.example/` is `//evil.example/`.
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask

from accounts.models import Role
from core.webutils import safe_local_target
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_organisation, make_user

HOSTILE = ["/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/", "//evil.example/", "/\\evil.example/",
           "\\\\evil.example/", "https://evil.example/", "http:/evil.example", "/\x7f/evil.example", " //evil.example",
           "javascript:alert(1)", "\t//evil.example"]
LOCAL = ["/beheer/evenementen/", "/evenementen/12/sessie?bron=x#top", "/"]


def lands_on(server: LiveServer, response: requests.Response) -> str:
    assert response.status_code in (302, 303), response.status_code
    return urlsplit(urljoin(server.url + "/", response.headers["Location"])).netloc


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_redirects_to_another_site(app: Flask, live_server: LiveServer, target: str) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    response = requests.post(f"{live_server.url}/beheer/inloggen", params={"next": target},
                             data={"email": user.email, "password": PASSWORD}, allow_redirects=False, timeout=10)
    assert lands_on(live_server, response) == urlsplit(live_server.url).netloc
    assert response.headers["Location"].endswith("/beheer/")


def test_the_reported_tab_attack_lands_on_the_dashboard(app: Flask, live_server: LiveServer) -> None:
    user = make_user(make_organisation(), Role.ORGANISER)
    response = requests.post(f"{live_server.url}/beheer/inloggen?next=/%09/evil.example/",
                             data={"email": user.email, "password": PASSWORD}, allow_redirects=False, timeout=10)
    assert response.headers["Location"] == "/beheer/"


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_never_redirects_to_another_site(app: Flask, live_server: LiveServer, target: str) -> None:
    response = requests.post(f"{live_server.url}/taal", data={"lang": "en", "next": target},
                             allow_redirects=False, timeout=10)
    assert lands_on(live_server, response) == urlsplit(live_server.url).netloc
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", LOCAL)
def test_a_local_target_is_kept(target: str) -> None:
    assert safe_local_target(target) == target


@pytest.mark.parametrize("target", HOSTILE + [None, ""])
def test_the_one_rule_refuses_every_hostile_target(target: str | None) -> None:
    assert safe_local_target(target) is None
