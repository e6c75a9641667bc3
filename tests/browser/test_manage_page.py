"""The manage page and its two forms (cancel, correct details): no axe-core violations at 375 and
1280 px, nothing scrolls sideways on the phone, and cancelling takes the second step in a browser."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page

from effect.models import EffectSettings
from events.models import Audience, EventKind, Registration, RegistrationStatus
from events.tokens import manage_token
from extensions import db
from tests.browser.test_accessibility import WCAG_TAGS
from tests.conftest import LiveServer
from tests.factories import make_event, make_organisation, make_question, make_registration, signup_url

pytestmark = pytest.mark.browser
WIDTHS = (375, 1280)


def _registration(kind: str) -> Registration:
    organisation = make_organisation()
    if kind == "online":
        event = make_event(organisation, kind=EventKind.WEBINAR, venue_name=None, venue_address=None,
                           online_url="https://meet.example.org/een-heel-lange-link-naar-de-online-bijeenkomst-0123456789")
    else:
        event = make_event(organisation, audience=Audience.SMES)
    make_question(event, label="Hoe heeft u van deze bijeenkomst gehoord?")
    status = RegistrationStatus.WAITLISTED if kind == "waitlisted" else RegistrationStatus.CONFIRMED
    return make_registration(event, status=status, company_name="Bakkerij De Korenbloem",
                             email="anna.de.vries-van-den-bergh@een-lang-domein.example.org")


def _open(page: Page, server: LiveServer, name: str) -> None:
    kind, _, step = name.partition("/")
    path = f"{server.url}/aanmelding/{manage_token(_registration(kind))}"
    match step:
        case "":
            page.goto(path)
        case "cancel":
            page.goto(path + "/annuleren")
        case "details":
            page.goto(path + "/wijzigen")
        case "details-errors":
            page.goto(path + "/wijzigen")
            page.fill("#name", "")
            page.fill("#phone", "bel me maar")
            page.click("main button[type=submit]")
            page.wait_for_load_state()
            assert page.locator(".utrecht-form-field-error-message").count() >= 2


PAGES = ["venue", "online", "waitlisted", "venue/cancel", "online/details", "venue/details-errors"]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_manage_pages_have_no_accessibility_violations(app: Flask, live_server: LiveServer, page: Page,
                                                       name: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    _open(page, live_server, name)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_cancelling_in_a_browser_takes_two_steps(app: Flask, live_server: LiveServer, page: Page) -> None:
    registration = _registration("venue")
    page.goto(f"{live_server.url}/aanmelding/{manage_token(registration)}")
    page.get_by_role("link", name="Aanmelding annuleren").click()
    db.session.expire_all()
    assert db.session.get_one(Registration, registration.id).status == RegistrationStatus.CONFIRMED
    page.get_by_role("button", name="Ja, aanmelding annuleren").click()
    page.wait_for_load_state()
    assert "Deze aanmelding is geannuleerd." in page.content()
    db.session.expire_all()
    assert db.session.get_one(Registration, registration.id).status == RegistrationStatus.CANCELLED


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_up_form_with_the_knowledge_check_has_no_accessibility_violations(
        app: Flask, live_server: LiveServer, page: Page, width: int) -> None:
    event = make_event(make_organisation())
    db.session.add(EffectSettings(event_id=event.id, knowledge_questions=["bank_sms", "two_step", "updates"]))
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + signup_url(event))
    assert page.locator(".signup-section").count() == 1
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
