"""Rate limits on the forms that invite guessing or flooding, in memory and in Redis."""
from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import redis
from flask import Flask

from accounts.models import Role
from events.models import Event
from events.tokens import manage_token
from tests.factories import PASSWORD, login, make_event, make_organisation, make_registration, make_user, signup_url

REDIS_URL = "redis://127.0.0.1:6379"


def _statuses(app: Flask, url: str, data: dict[str, str], times: int, address: str = "127.0.0.1") -> list[int]:
    client = app.test_client()
    return [client.post(url, data=data, environ_base={"REMOTE_ADDR": address}).status_code for _ in range(times)]


def _person(n: int) -> dict[str, str]:
    return {"name": f"Deelnemer {n}", "email": f"limiet{n}@example.org"}


def test_login_is_limited_with_a_dutch_429_and_retry_after(app_with: Callable[..., Flask]) -> None:
    limited = app_with(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    data = {"email": "iemand@example.org", "password": "fout"}
    assert [client.post("/beheer/inloggen", data=data).status_code for _ in range(2)] == [400, 400]
    response = client.post("/beheer/inloggen", data=data)
    assert response.status_code == 429
    assert "U heeft dit te vaak geprobeerd." in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_login_page_itself_is_not_limited(app_with: Callable[..., Flask]) -> None:
    limited = app_with(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
    client = limited.test_client()
    assert [client.get("/beheer/inloggen").status_code for _ in range(3)] == [200, 200, 200]


def test_signup_is_limited_per_address(app_with: Callable[..., Flask]) -> None:
    event = make_event(make_organisation())
    limited = app_with(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    statuses = [client.post(signup_url(event), data=_person(n)).status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    other_address = client.post(signup_url(event), data=_person(9), environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other_address.status_code == 302


def _cancel_url(event: Event) -> str:
    return f"/aanmelding/{manage_token(make_registration(event))}/annuleren"


def test_cancelling_a_registration_is_limited(app_with: Callable[..., Flask]) -> None:
    event = make_event(make_organisation())
    urls = [_cancel_url(event) for _ in range(3)]
    limited = app_with(RATELIMIT_ENABLED=True, MANAGE_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    assert [client.post(url, data={"confirmed": "ja"}).status_code for url in urls] == [302, 302, 429]


def test_app_keeps_serving_when_the_rate_limit_storage_is_down(app_with: Callable[..., Flask]) -> None:
    unreachable = app_with(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    user = make_user(make_organisation(), Role.ORGANISER)
    login(unreachable.test_client(), user)


def _redis_or_skip() -> redis.Redis:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (.ci/run makes sure it is in CI)")
    return connection


def test_limits_are_counted_in_redis_when_configured(app_with: Callable[..., Flask]) -> None:
    connection = _redis_or_skip()
    address = f"127.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    limited = app_with(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL, LOGIN_RATE_LIMIT="2 per minute")
    # A fresh account too: Redis keeps the per-account count of failures for 15 minutes across runs.
    data = {"email": f"iemand-{uuid.uuid4().hex}@example.org", "password": "fout"}
    assert _statuses(limited, "/beheer/inloggen", data, 3, address) == [400, 400, 429]
    keys = [key.decode() for key in connection.scan_iter(match=f"*{address}*")]
    assert keys, "the counter should live in Redis"
    connection.delete(*keys)
    connection.close()


def _login_from(client: object, address: str, email: str, password: str) -> int:
    response = client.post("/beheer/inloggen", data={"email": email, "password": password},  # type: ignore[attr-defined]
                           environ_base={"REMOTE_ADDR": address})
    return response.status_code


def test_guessing_one_accounts_password_from_sixty_addresses_is_stopped(app_with: Callable[..., Flask]) -> None:
    """Attack: 60 wrong passwords for one account from 60 addresses were all answered 400."""
    user = make_user(make_organisation(), Role.ADMIN)
    limited = app_with(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="10 per 15 minutes")
    statuses = [_login_from(limited.test_client(), f"10.0.{n // 250}.{n % 250 + 1}", user.email.upper(), "geraden")
                for n in range(60)]
    assert statuses == [400] * 10 + [429] * 50
    # Not even the right password gets through for a stranger now: guessing it right would prove nothing.
    assert _login_from(limited.test_client(), "10.9.9.9", user.email, PASSWORD) == 429
    # Another account is not affected.
    other = make_user(make_organisation(), Role.ADMIN)
    assert _login_from(limited.test_client(), "10.9.9.9", other.email, PASSWORD) == 302


def test_a_stranger_cannot_lock_the_owner_out_of_their_own_browser(app_with: Callable[..., Flask]) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    limited = app_with(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="3 per 15 minutes")
    owner = limited.test_client()
    assert _login_from(owner, "192.0.2.10", user.email, PASSWORD) == 302  # the browser becomes known
    owner.post("/beheer/uitloggen")
    stranger = limited.test_client()
    assert [_login_from(stranger, "203.0.113.7", user.email, "geraden") for _ in range(4)] == [400, 400, 400, 429]
    assert _login_from(owner, "192.0.2.10", user.email, PASSWORD) == 302
    # The device cookie counts its own failures, and is worth nothing for another account or when forged.
    owner.post("/beheer/uitloggen")
    assert [_login_from(owner, "192.0.2.10", user.email, "vergeten") for _ in range(4)] == [400, 400, 400, 429]
    forged = limited.test_client()
    forged.set_cookie("weerbaar_apparaat", "eyJhIjoiMCIsImQiOiJ4In0.forged.sig", path="/beheer/")
    assert _login_from(forged, "198.51.100.1", user.email, PASSWORD) == 429


def test_successful_logins_do_not_use_up_the_accounts_limit(app_with: Callable[..., Flask]) -> None:
    user = make_user(make_organisation(), Role.ADMIN)
    limited = app_with(RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="2 per 15 minutes")
    for n in range(5):
        client = limited.test_client()
        assert _login_from(client, f"10.1.1.{n + 1}", user.email, PASSWORD) == 302
