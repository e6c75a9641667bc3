"""The visual campaign editor in Chromium: build a mail from blocks, save, preview, test-send, send;
the mail that reaches the relay carries the locked footer and its working unsubscribe link."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Page

from accounts.models import Role
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_campaign, make_contact, make_event, make_organisation, make_user
from tests.mailing.conftest import Relay, relay, smtp_app  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _log_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/beheer/inloggen")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _png(tmp_path: Path) -> Path:
    path = tmp_path / "poster.png"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), (0, 90, 160)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _world(app: Flask, server: LiveServer):  # noqa: ANN202
    app.config["BASE_URL"] = server.url
    organisation = make_organisation()
    officer = make_user(organisation, Role.COMMUNICATIONS)
    event = make_event(organisation, title="Phishing herkennen")
    contact = make_contact(organisation, email="lezer@example.org", name="Lies")
    campaign = make_campaign(organisation, "blank", name="Editor-campagne")
    return officer, event, contact, campaign


def test_editor_page_loads_without_errors(page: Page, app: Flask, live_server: LiveServer) -> None:
    officer, _event, _contact, campaign = _world(app, live_server)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"{message.text} {message.location.get('url')}")
            if message.type == "error" and "favicon" not in message.location.get("url", "") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, live_server, officer.email)
    page.goto(f"{live_server.url}/beheer/campagnes/{campaign.id}/ontwerp")
    page.wait_for_timeout(3000)
    print("PROBLEMS", problems)
    assert problems == []
