"""Public, login, two-factor and privacy pages, the audit log, AVG requests, contact imports: no axe-core violations.

WCAG 2.x A and AA; nothing scrolls sideways at 320 px.

Screenshots at 320 and 1280 px are saved under test-artifacts/ for a person to look at.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page

from accounts.models import Organisation, Role, User
from campaigns import tokens
from campaigns.models import ContactImport, ContactTag, ImportStatus
from core.timeutils import utcnow
from effect.models import EffectResponse, EffectSettings
from effect.tokens import mint_evaluation, mint_followup
from events.tokens import manage_token
from extensions import db
from tests.conftest import LiveServer
from tests.factories import (
    PASSWORD,
    make_campaign,
    make_contact,
    make_contact_list,
    make_event,
    make_import,
    make_organisation,
    make_question,
    make_registration,
    make_user,
    signup_url,
)

pytestmark = pytest.mark.browser
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (320, 1280)


def _sign_up(page: Page, server: LiveServer, path: str, name: str, email: str) -> None:
    page.goto(server.url + path)
    page.fill("#name", name)
    page.fill("#email", email)
    page.click(".signup-form button[type=submit]")
    page.wait_for_load_state()


def _log_in(page: Page, server: LiveServer, user: User) -> None:
    page.goto(server.url + "/beheer/inloggen")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _running_import(organisation: Organisation) -> ContactImport:
    return make_import(organisation, status=ImportStatus.RUNNING, mapping={"email": 0}, total_rows=2500,
                       processed_rows=1000, report={}, heartbeat_at=utcnow())


def _open(page: Page, server: LiveServer, name: str) -> None:
    """Brings `page` to the state called `name` (some need a form submitted first)."""
    organisation = make_organisation()
    event = make_event(organisation, description="Leer phishing herkennen.\n\nMet koffie.")
    make_question(event, label="Hoe heeft u van deze bijeenkomst gehoord?")
    url = server.url
    match name:
        case "listing":
            page.goto(url + "/")
        case "event":
            page.goto(url + signup_url(event))
        case "signup-errors":
            _sign_up(page, server, signup_url(event), "", "geen-adres")
            assert page.locator(".utrecht-form-field-error-message").count() >= 2
        case "confirmation":
            _sign_up(page, server, signup_url(event), "Anna de Vries", "anna@example.org")
            assert page.url.endswith("/aangemeld")
        case "manage":
            page.goto(f"{url}/aanmelding/{manage_token(make_registration(event))}")
        case "login":
            page.goto(url + "/beheer/inloggen")
        case "password-reset":
            page.goto(url + "/beheer/wachtwoord-vergeten")
        case "two-factor-setup":
            _log_in(page, server, make_user(organisation, Role.ADMIN))
            page.goto(url + "/beheer/account/tweestapsverificatie")
        case "two-factor-code-error":
            _log_in(page, server, make_user(organisation, Role.ADMIN, totp_secret=pyotp.random_base32()))
            page.fill("#code", "12")
            page.click("main button[type=submit]")
            page.wait_for_load_state()
            assert page.locator(".utrecht-form-field-error-message").count() == 1
        case "privacy-statement":
            page.goto(f"{url}/privacy/{organisation.slug}")
        case "accessibility-statement":
            page.goto(url + "/toegankelijkheid")
        case "evaluation" | "evaluation-errors":
            held = make_event(organisation, starts_at=utcnow() - timedelta(hours=5))
            db.session.add(EffectSettings(event_id=held.id, knowledge_questions=["bank_sms", "two_step", "updates"]))
            db.session.commit()
            there = make_registration(held, checked_in_at=held.starts_at)
            page.goto(url + urlsplit(mint_evaluation({"registration": there.id})).path)
            if name == "evaluation-errors":
                page.click("main button[type=submit]")
                page.wait_for_load_state()
                assert page.locator(".utrecht-form-field-error-message").count() >= 2
        case "knowledge-before":
            db.session.add(EffectSettings(event_id=event.id, knowledge_questions=["bank_sms", "two_step", "updates"]))
            db.session.commit()
            page.goto(f"{url}/aanmelding/{manage_token(make_registration(event))}/kennisvragen")
        case "followup-survey":
            held = make_event(organisation, starts_at=utcnow() - timedelta(days=100))
            response = EffectResponse(event_id=held.id, registration_id=make_registration(held).id,
                                      evaluated_at=utcnow(), satisfaction=4, usefulness=4,
                                      intentions=["two_step", "backups"], followup_sent_at=utcnow())
            db.session.add(response)
            db.session.commit()
            page.goto(url + urlsplit(mint_followup({"response": response.id})).path)
        case "effect-dashboard":
            held = make_event(organisation, starts_at=utcnow() - timedelta(days=20))
            for n in range(7):
                db.session.add(EffectResponse(
                    event_id=held.id, registration_id=make_registration(held, checked_in_at=held.starts_at).id,
                    evaluated_at=utcnow(), satisfaction=3 + n % 3, usefulness=4, intentions=["two_step"],
                    knowledge_before={"two_step": n % 2}, knowledge_after={"two_step": 1}))
            db.session.commit()
            _log_in(page, server, make_user(organisation, Role.ADMIN))
            page.goto(url + "/beheer/resultaten/")
        case "audit-log":
            admin = make_user(organisation, Role.ADMIN)
            _log_in(page, server, admin)
            page.goto(f"{url}/beheer/evenementen/{event.id}/aanmeldingen")
            page.goto(url + "/beheer/audit/")
        case "privacy-requests-errors":
            _log_in(page, server, make_user(organisation, Role.ADMIN))
            page.goto(url + "/beheer/privacy/")
            page.click("#wissen ~ form button[type=submit]")
            page.wait_for_load_state()
            assert page.locator(".utrecht-form-field-error-message").count() >= 2
        case "newsletter-subscribe":
            page.goto(f"{url}/nieuwsbrief/{organisation.slug}")
        case "newsletter-check-mailbox":
            page.goto(f"{url}/nieuwsbrief/{organisation.slug}/controleer-uw-mail")
        case "newsletter-preferences":
            page.goto(url + urlsplit(tokens.preferences_url(make_contact(organisation).id)).path)
        case "newsletter-unsubscribe":
            page.goto(url + urlsplit(tokens.unsubscribe_url(make_contact(organisation).id)).path)
        case "door":
            _log_in(page, server, make_user(organisation, Role.ORGANISER))
            page.goto(f"{url}/beheer/check-in/{event.id}")
            assert page.locator("#door").count() == 1
        case "import-progress":
            job = _running_import(organisation)
            _log_in(page, server, make_user(organisation, Role.COMMUNICATIONS))
            page.goto(f"{url}/beheer/contacten/import/{job.id}")
        case "import-report":
            job = make_import(organisation, status=ImportStatus.DONE, data=None, total_rows=3, processed_rows=3,
                              report={"created": 1, "invalid": 1, "invalid_lines": [[3, "geen-adres"]], "duplicates": 1,
                                      "duplicate_lines": [[4, "anna@example.org"]]})
            _log_in(page, server, make_user(organisation, Role.COMMUNICATIONS))
            page.goto(f"{url}/beheer/contacten/import/{job.id}")
        case "import-upload-with-recent":
            _running_import(organisation)
            _log_in(page, server, make_user(organisation, Role.COMMUNICATIONS))
            page.goto(f"{url}/beheer/contacten/import?organisatie={organisation.id}")
        case "contacts-with-bulk-forms":
            contact_list = make_contact_list(organisation, name="Nieuwsbrief")
            make_contact(organisation, lists=[contact_list])
            db.session.add(ContactTag(organisation_id=organisation.id, name="Pilot"))
            db.session.commit()
            _log_in(page, server, make_user(organisation, Role.COMMUNICATIONS))
            page.goto(f"{url}/beheer/contacten/?organisatie={organisation.id}")
            assert page.locator("#list_id").count() == 1 and page.locator("#tag_id").count() == 1
        case "lists-refused-delete":
            contact_list = make_contact_list(organisation, name="In gebruik")
            make_campaign(organisation, name="Decembermail", list_id=contact_list.id)
            _log_in(page, server, make_user(organisation, Role.COMMUNICATIONS))
            page.goto(f"{url}/beheer/contacten/lijsten?organisatie={organisation.id}")
            page.click(f"#groep-{contact_list.id} a[href$='verwijderen']")
            page.wait_for_load_state()
            page.click("form button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("[role=alert]").count() == 1
        case "contact-page":
            contact = make_contact(organisation)
            _log_in(page, server, make_user(organisation, Role.COMMUNICATIONS))
            page.goto(f"{url}/beheer/contacten/{contact.id}")


PAGES = ["listing", "event", "signup-errors", "confirmation", "manage", "login", "password-reset",
         "two-factor-setup", "two-factor-code-error", "privacy-statement", "accessibility-statement", "audit-log",
         "privacy-requests-errors", "newsletter-subscribe", "newsletter-check-mailbox", "newsletter-preferences",
         "newsletter-unsubscribe", "door", "import-progress", "import-report",
         "import-upload-with-recent", "contacts-with-bulk-forms", "lists-refused-delete", "contact-page",
         "evaluation", "evaluation-errors", "knowledge-before", "followup-survey", "effect-dashboard"]


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations_and_fits_320_px(
    app: Flask, live_server: LiveServer, page: Page, artifacts: Path, name: str
) -> None:
    _open(page, live_server, name)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, results.generate_report()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Presses Tab until `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_signup_can_be_completed_by_keyboard_alone(app: Flask, live_server: LiveServer, page: Page) -> None:
    event = make_event(make_organisation())
    page.goto(live_server.url + signup_url(event))
    _tab_to(page, "#name")
    page.keyboard.type("Karel Toetsenbord")
    _tab_to(page, "#email")
    page.keyboard.type("karel@example.org")
    _tab_to(page, "#keep_informed")
    page.keyboard.press("Space")
    assert page.is_checked("#keep_informed")
    _tab_to(page, ".signup-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/aangemeld")
    assert "karel@example.org" in page.content()


def test_the_honeypot_is_not_reachable_by_keyboard(app: Flask, live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + signup_url(make_event(make_organisation())))
    with pytest.raises(AssertionError):
        _tab_to(page, "#website")


def test_door_on_a_phone_checks_in_a_typed_code_in_large_type_and_updates_the_count(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    organisation = make_organisation()
    event = make_event(organisation, starts_at=utcnow() - timedelta(minutes=30))
    registration = make_registration(event)
    page.set_viewport_size({"width": 375, "height": 667})
    _log_in(page, live_server, make_user(organisation, Role.ORGANISER))
    page.goto(f"{live_server.url}/beheer/check-in/{event.id}")
    checked_in = page.locator('[data-count="checked_in"]')
    assert checked_in.inner_text() == "0"

    page.fill("#code", registration.checkin_code)
    page.click("#code-form button[type=submit]")

    headline = page.locator(".door-result__headline")
    headline.wait_for()
    assert "ingecheckt" in headline.inner_text().lower()
    assert float(headline.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")) >= 24
    page.wait_for_function("() => document.querySelector('[data-count=\"checked_in\"]').textContent.trim() === '1'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_import_progress_bar_follows_the_json_and_the_page_shows_the_report_when_done(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    organisation = make_organisation()
    job = _running_import(organisation)
    _log_in(page, live_server, make_user(organisation, Role.COMMUNICATIONS))
    page.goto(f"{live_server.url}/beheer/contacten/import/{job.id}")
    assert page.locator("[role=status]").inner_text() == "1.000 van 2.500 rijen"

    job.processed_rows = 2000
    db.session.commit()
    page.wait_for_function("() => document.querySelector('[role=status]').textContent === '2.000 van 2.500 rijen'")
    assert page.locator("progress").evaluate("(bar) => bar.value") == 80

    job.processed_rows, job.status, job.finished_at = 2500, ImportStatus.DONE, utcnow()
    db.session.commit()
    page.get_by_role("heading", name="Importverslag").wait_for()  # the page reloaded with the outcome
