"""`/healthz` says whether the app can work (database, rate-limit Redis); `/livez` only that it runs."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from config import normalise_database_url

UNREACHABLE_DATABASE = normalise_database_url("postgresql://postgres@127.0.0.1:1/weerbaar")
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_health_is_ok_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")


def test_health_is_503_naming_the_database_when_it_is_unreachable(app_with: Callable[..., Flask]) -> None:
    down = app_with(SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE)
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database: onbereikbaar\n"
    assert down.test_client().get("/livez").status_code == 200


def test_health_is_503_naming_redis_when_the_rate_limit_storage_is_unreachable(app_with: Callable[..., Flask]) -> None:
    down = app_with(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS)
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "redis: onbereikbaar\n"


def test_health_names_both_when_both_are_down(app_with: Callable[..., Flask]) -> None:
    down = app_with(SQLALCHEMY_DATABASE_URI=UNREACHABLE_DATABASE, RATELIMIT_ENABLED=True,
                    RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS)
    assert down.test_client().get("/healthz").get_data(as_text=True) == "database: onbereikbaar\nredis: onbereikbaar\n"


def test_health_is_ok_with_redis_as_rate_limit_storage(app_with: Callable[..., Flask]) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (.ci/run makes sure it is in CI)")
    up = app_with(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL)
    assert up.test_client().get("/healthz").status_code == 200
