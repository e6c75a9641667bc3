"""In Chromium: "Nu versturen" shows the confirmation first and only its button sends; the new campaign
and mail pages (confirmation, schedule, delivery log, subject test, all mailboxes, audit log) have no
axe-core violations and fit 320 px."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from campaigns.models import Campaign, SubjectTest
from core.timeutils import utcnow
from extensions import db
from mailing.models import OutgoingMessage
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_campaign, make_contact, make_message, make_organisation, make_user

pytestmark = pytest.mark.browser
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def log_in(page: Page, server: LiveServer, user: User) -> None:
    page.goto(server.url + "/beheer/inloggen")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def outbox_rows(campaign: Campaign) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).where(OutgoingMessage.campaign_id == campaign.id)) or 0


def assert_accessible(page: Page) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, results.generate_report()
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_confirmation_step_appears_and_the_send_happens_only_after_it(
        app: Flask, live_server: LiveServer, page: Page) -> None:
    organisation = make_organisation()
    for _ in range(3):
        make_contact(organisation)
    campaign = make_campaign(organisation, name="Najaarscampagne", subject="Phishing herkennen")
    log_in(page, live_server, make_user(organisation, Role.COMMUNICATIONS))
    page.goto(f"{live_server.url}/beheer/campagnes/{campaign.id}")

    page.get_by_role("link", name="Nu versturen…").click()

    expect(page.get_by_role("heading", name="Versturen bevestigen: Najaarscampagne")).to_be_visible()
    expect(page.locator("#confirm-subject")).to_have_text("Phishing herkennen")
    expect(page.locator("#confirm-count")).to_have_text("3")
    assert outbox_rows(campaign) == 0
    assert_accessible(page)

    page.get_by_role("button", name="Ja, nu versturen naar 3 ontvangers").click()

    expect(page.get_by_text("De campagne wordt verstuurd.")).to_be_visible()
    assert outbox_rows(campaign) == 3


def open_page(page: Page, server: LiveServer, name: str) -> None:
    organisation = make_organisation()
    for _ in range(3):
        make_contact(organisation)
    campaign = make_campaign(organisation, subject="Phishing herkennen")
    if name == "delivery-log":
        db.session.add(SubjectTest(campaign_id=campaign.id, subject_b="Pas op voor nepmail", test_percent=50,
                                   wait_minutes=60))
        db.session.commit()
    user = make_user(organisation, Role.ADMIN)
    if name == "all-mailboxes":
        user.is_regional_admin = True
        db.session.commit()
        make_message(organisation, subject="Aanmelding bevestigd")
    log_in(page, server, user)
    base = f"{server.url}/beheer/campagnes/{campaign.id}"
    match name:
        case "confirm-send":
            page.goto(base + "/versturen")
        case "confirm-schedule":
            moment = (utcnow() + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
            page.goto(base + f"/inplannen?moment={moment}")
        case "subject-test":
            page.goto(base + "/onderwerptest")
        case "delivery-log":
            page.goto(base + "/versturen")
            page.get_by_role("button", name="Ja, nu versturen naar 3 ontvangers").click()
            page.goto(base + "/bezorging")
        case "campaign-after-launch":
            page.goto(base + "/versturen")
            page.get_by_role("button", name="Ja, nu versturen naar 3 ontvangers").click()
        case "all-mailboxes":
            page.goto(server.url + "/beheer/mail/?organisatie=alle")
        case "audit-log":
            page.goto(base + "/bezorging")
            page.goto(server.url + "/beheer/audit/")
    page.wait_for_load_state()


@pytest.mark.parametrize("name", ["confirm-send", "confirm-schedule", "subject-test", "delivery-log",
                                  "campaign-after-launch", "all-mailboxes", "audit-log"])
def test_the_new_pages_have_no_accessibility_violations(app: Flask, live_server: LiveServer, page: Page,
                                                        name: str) -> None:
    open_page(page, live_server, name)
    assert page.locator("h1").count() == 1
    assert_accessible(page)
