"""Behind nginx: X-Forwarded-For is believed only from the trusted proxies (TRUSTED_PROXY_COUNT)."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from accounts.models import Role
from config import check_rate_limit_storage
from core.audit import AuditEntry
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user, signup_url

NGINX = "127.0.0.1"  # the address every request comes from behind the proxy


def _signup_statuses(app: Flask, url: str, forwarded_for: list[str]) -> list[int]:
    client = app.test_client()
    return [client.post(url, data={"name": f"Deelnemer {n}", "email": f"proxy{n}@example.org"},
                        headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": NGINX}).status_code
            for n, address in enumerate(forwarded_for)]


def test_forwarded_for_is_ignored_without_trusted_proxies(app_with: Callable[..., Flask]) -> None:
    event = make_event(make_organisation())
    limited = app_with(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per minute")
    # A visitor who makes up a new address for every try is still one address to the limiter.
    statuses = _signup_statuses(limited, signup_url(event), ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
    assert statuses == [302, 302, 429]


def test_forwarded_for_of_a_trusted_proxy_keys_the_rate_limit(app_with: Callable[..., Flask]) -> None:
    event = make_event(make_organisation())
    limited = app_with(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per minute", TRUSTED_PROXY_COUNT=1)
    assert _signup_statuses(limited, signup_url(event), ["192.0.2.1", "192.0.2.1", "192.0.2.1"]) == [302, 302, 429]
    assert _signup_statuses(limited, signup_url(event), ["192.0.2.2"]) == [302]
    # Only the last hop is the proxy's own: an address the client put in front of it is not believed.
    assert _signup_statuses(limited, signup_url(event), ["192.0.2.2, 192.0.2.1"]) == [429]


def _audited_address(app: Flask, forwarded_for: str) -> str | None:
    organisation = make_organisation()
    event = make_event(organisation)
    make_registration(event)
    admin = make_user(organisation, Role.ADMIN)
    client = app.test_client()
    client.environ_base |= {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": forwarded_for}
    login(client, admin)
    assert client.get(f"/beheer/evenementen/{event.id}/aanmeldingen").status_code == 200
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEntry.ip_address).order_by(AuditEntry.id.desc())).first()


def test_audit_log_records_the_client_named_by_a_trusted_proxy(app_with: Callable[..., Flask]) -> None:
    assert _audited_address(app_with(TRUSTED_PROXY_COUNT=1), "198.51.100.4") == "198.51.100.4"


def test_audit_log_records_the_connecting_address_without_trusted_proxies(app_with: Callable[..., Flask]) -> None:
    assert _audited_address(app_with(), "198.51.100.4") == NGINX


@pytest.mark.parametrize("workers, storage, enabled", [(1, "memory://", True), (4, "redis://127.0.0.1:6379/0", True),
                                                       (4, "memory://", False)])
def test_rate_limit_storage_accepted(workers: int, storage: str, enabled: bool) -> None:
    check_rate_limit_storage(workers, storage, enabled)


def test_production_with_several_workers_refuses_memory_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "production-test-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI=memory:// with 3 web workers"):
        create_app("production")
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert create_app("production").config["RATELIMIT_STORAGE_URI"] == "memory://"
