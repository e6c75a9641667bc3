"""`POST /webhooks/bounce`: signed JSON from relays, over real HTTP."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from campaigns.models import ContactStatus
from extensions import db
from mailing.models import BounceReport
from mailing.verp import return_path, token_for
from tests.conftest import LiveServer
from tests.factories import make_contact, make_organisation
from tests.mailing.test_bounces import BOUNCE_DOMAIN, campaign_row, status_of

SECRET = "gedeeld-geheim-van-de-relay"


@pytest.fixture
def webhook_app(app: Flask) -> Flask:
    app.config.update(MAIL_BOUNCE_DOMAIN=BOUNCE_DOMAIN, MAIL_BOUNCE_WEBHOOK_SECRET=SECRET)
    return app


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json",
            "X-Weerbaar-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def post(server: LiveServer, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(f"{server.url}/webhooks/bounce", data=body,
                         headers=signed(body) if headers is None else headers, timeout=30)


def count_reports() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(BounceReport))


def test_a_signed_hard_bounce_marks_the_contact(webhook_app: Flask, live_server: LiveServer) -> None:
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    body = json.dumps({"return_path": return_path(row.id, row.from_address), "type": "hard", "status": "5.1.1",
                       "diagnostic": "550 5.1.1 user unknown", "recipient": contact.email, "id": "evt-1"}).encode()
    response = post(live_server, body)
    assert response.status_code == 200 and response.json() == {"recorded": 1, "ignored": 0}
    assert status_of(contact) == ContactStatus.BOUNCED
    assert post(live_server, body).json() == {"recorded": 0, "ignored": 0}  # the same event again
    assert count_reports() == 1


def test_a_list_of_complaints_by_token(webhook_app: Flask, live_server: LiveServer) -> None:
    organisation = make_organisation()
    first, second = make_contact(organisation), make_contact(organisation)
    body = json.dumps([{"token": token_for(campaign_row(c).id), "type": "complaint", "id": f"c{c.id}"}
                       for c in (first, second)]).encode()
    assert post(live_server, body).json() == {"recorded": 2, "ignored": 0}
    assert status_of(first) == status_of(second) == ContactStatus.COMPLAINED


@pytest.mark.parametrize("headers", [
    lambda body: {"Content-Type": "application/json"},
    lambda body: signed(body, "een ander geheim"),
    lambda body: {"X-Weerbaar-Signature": signed(body)["X-Weerbaar-Signature"][:-2] + "00"},
    lambda body: signed(body + b" "),
], ids=["unsigned", "other-secret", "altered-signature", "signature-of-another-body"])
def test_a_wrong_signature_is_401_and_changes_nothing(webhook_app: Flask, live_server: LiveServer,
                                                      headers: Callable[[bytes], dict[str, str]],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    contact = make_contact(make_organisation())
    body = json.dumps({"token": token_for(campaign_row(contact).id), "type": "hard"}).encode()
    with caplog.at_level(logging.WARNING, logger="mailing.webhooks"):
        response = post(live_server, body, headers(body))
    assert response.status_code == 401 and "handtekening" in response.json()["error"]
    assert status_of(contact) == ContactStatus.SUBSCRIBED and count_reports() == 0
    assert "bounce webhook refused (401)" in caplog.text


def test_a_50_mb_body_is_refused_unread(webhook_app: Flask, live_server: LiveServer) -> None:
    contact = make_contact(make_organisation())
    event = json.dumps({"token": token_for(campaign_row(contact).id), "type": "hard"})
    body = (event[:-1] + ', "padding": "' + "x" * (50 * 1024 * 1024) + '"}').encode()
    try:
        response = post(live_server, body)
        assert response.status_code == 413
    except requests.ConnectionError:
        pass  # the server answered 413 and closed before the client finished writing
    assert status_of(contact) == ContactStatus.SUBSCRIBED and count_reports() == 0


@pytest.mark.parametrize("body", [
    b"", b"niet eens json", b"[]", b"{}", b'"tekst"', b'[1, 2]', json.dumps([{"type": "hard"}] * 501).encode(),
    b'{"token": "12-deadbeef", "type": "hard"}', b'{"token": 12, "type": "hard"}',
    b'{"token": "1-x", "type": "onbekend"}', b'{"return_path": ["lijst"], "type": "soft"}',
], ids=["empty", "not-json", "empty-list", "no-fields", "string", "numbers", "too-many", "forged-token",
        "token-not-text", "unknown-type", "return-path-not-text"])
def test_bad_bodies_are_4xx_or_ignored_never_500(webhook_app: Flask, live_server: LiveServer, body: bytes) -> None:
    contact = make_contact(make_organisation())
    campaign_row(contact)
    response = post(live_server, body)
    assert response.status_code in (200, 400)
    assert response.status_code == 400 or response.json()["recorded"] == 0
    assert status_of(contact) == ContactStatus.SUBSCRIBED and count_reports() == 0


def test_another_organisations_recipient_is_ignored(webhook_app: Flask, live_server: LiveServer) -> None:
    ours, theirs = make_contact(make_organisation()), make_contact(make_organisation())
    body = json.dumps({"token": token_for(campaign_row(ours).id), "type": "hard", "recipient": theirs.email}).encode()
    assert post(live_server, body).json() == {"recorded": 0, "ignored": 1}
    assert status_of(ours) == status_of(theirs) == ContactStatus.SUBSCRIBED


def test_without_a_secret_the_webhook_is_off(app: Flask, live_server: LiveServer) -> None:
    assert post(live_server, b'{"type": "hard"}').status_code == 404


def test_the_webhook_is_rate_limited(app_with: Callable[..., Flask]) -> None:
    limited = app_with(RATELIMIT_ENABLED=True, MAIL_BOUNCE_WEBHOOK_RATE_LIMIT="2 per minute",
                       MAIL_BOUNCE_WEBHOOK_SECRET=SECRET)
    client = limited.test_client()
    statuses = [client.post("/webhooks/bounce", data=b"{}", headers=signed(b"{}")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # {} is one report of no known type: ignored


def test_only_the_webhook_is_csrf_exempt_in_mailing(app: Flask) -> None:
    from extensions import csrf

    assert {view for view in csrf._exempt_views if view.startswith("mailing.")} == {"mailing.webhooks.bounce"}
