"""The door's search as you type, in Chromium: the same people, labels and buttons as the server-rendered search."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from playwright.sync_api import Page, expect

from accounts.models import Role
from core.timeutils import utcnow
from tests.browser.test_accessibility import _log_in
from tests.conftest import LiveServer
from tests.factories import make_event, make_organisation, make_registration, make_user


def test_search_as_you_type_offers_a_labelled_check_in_button_and_then_says_when(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    organisation = make_organisation()
    event = make_event(organisation, starts_at=utcnow() - timedelta(minutes=30))
    make_registration(event, name="Jan Janssen", email="jan@example.org")
    page.set_viewport_size({"width": 375, "height": 667})
    _log_in(page, live_server, make_user(organisation, Role.ORGANISER))
    page.goto(f"{live_server.url}/beheer/check-in/{event.id}")

    page.locator("#zoek").press_sequentially("Jans")  # typed, never submitted: the script searches
    button = page.get_by_role("button", name=re.compile(r"^Inchecken\s?: Jan Janssen$"))
    expect(button).to_be_visible()
    expect(button).to_have_text("Inchecken: Jan Janssen")
    assert button.evaluate("(b) => b.checkVisibility() && b.getBoundingClientRect().width > 40")
    button.click()

    expect(page.locator(".door-result__headline")).to_contain_text("ingecheckt", ignore_case=True)
    undo = page.get_by_role("button", name=re.compile(r"^Check-in ongedaan maken\s?: Jan Janssen$"))
    expect(undo).to_be_visible()
    line = page.locator("#search-results .door-person p").inner_text()
    assert "undefined" not in page.locator("#door").inner_text()
    assert "Ingecheckt om " in line and "Jan Janssen" in line
