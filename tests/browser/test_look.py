"""The finished look: every public page and the main admin pages at a phone's and a desktop's width.

Screenshots at 375 and 1280 px go to test-artifacts/look-*.png for a person to look at; each page must
not scroll sideways at either width and has no axe-core violation. Beside that, the details the look
promises: one type family, form controls drawn in their normal state until a field is refused, an
error beside its checkbox laid out as the Utrecht form field, tables that scroll inside their frame
with a cue, the admin menu in one row on a phone.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page

from accounts.models import Organisation, Role
from core.timeutils import utcnow
from events.tokens import manage_token
from extensions import db
from mailing.models import MessageStatus
from selfhelp.models import PageAudience
from tests.conftest import LiveServer
from tests.factories import (
    PASSWORD,
    make_campaign,
    make_contact,
    make_event,
    make_message,
    make_organisation,
    make_registration,
    make_selfhelp_page,
    make_user,
    signup_url,
)

pytestmark = pytest.mark.browser
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (375, 1280)
LONG_ADDRESS = "annemarie.van.der.heijden-bakker@gemeente-sudwest-fryslan.example.nl"


def _log_in(page: Page, server: LiveServer, role: Role, organisation: Organisation) -> None:
    user = make_user(organisation, role)
    page.goto(server.url + "/beheer/inloggen")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _with_history(organisation: Organisation) -> None:
    """Events held and to come, with sign-ups and attendance, so the results and lists have rows."""
    for days, title in ((-40, "Phishing herkennen voor ondernemers in de binnenstad"),
                        (-10, "Wachtwoorden en tweestapsverificatie"), (20, "Veilig bankieren voor senioren")):
        event = make_event(organisation, title=title, starts_at=utcnow() + timedelta(days=days))
        for n in range(3):
            make_registration(event, email=f"deelnemer.{n}.{LONG_ADDRESS}",
                              checked_in_at=event.starts_at if days < 0 and n else None)


def _open(page: Page, server: LiveServer, name: str) -> None:
    organisation = make_organisation(name="Gemeente Súdwest-Fryslân")
    event = make_event(organisation, title="Oplichting via WhatsApp: zo herkent u het",
                       description="Leer phishing herkennen.\n\nMet koffie.")
    url = server.url
    match name:
        case "listing":
            _with_history(organisation)
            page.goto(url + "/")
        case "event":
            page.goto(url + signup_url(event))
        case "signup-errors":
            page.goto(url + signup_url(event))
            page.fill("#email", "geen-adres")
            page.click(".signup-form button[type=submit]")
            page.wait_for_load_state()
        case "manage":
            page.goto(f"{url}/aanmelding/{manage_token(make_registration(event, email=LONG_ADDRESS))}")
        case "newsletter-subscribe":
            page.goto(f"{url}/nieuwsbrief/{organisation.slug}")
        case "newsletter-subscribe-errors":
            page.goto(f"{url}/nieuwsbrief/{organisation.slug}")
            page.click("main button[type=submit]")
            page.wait_for_load_state()
        case "privacy-statement":
            page.goto(f"{url}/privacy/{organisation.slug}")
        case "login":
            page.goto(url + "/beheer/inloggen")
        case "admin-dashboard":
            _log_in(page, server, Role.ADMIN, organisation)
            page.goto(url + "/beheer/")
        case "admin-events":
            _with_history(organisation)
            _log_in(page, server, Role.ADMIN, organisation)
            page.goto(url + "/beheer/evenementen/")
        case "admin-registrations":
            for n in range(4):
                make_registration(event, email=f"{n}.{LONG_ADDRESS}")
            _log_in(page, server, Role.ADMIN, organisation)
            page.goto(f"{url}/beheer/evenementen/{event.id}/aanmeldingen")
        case "admin-results":
            _with_history(organisation)
            _log_in(page, server, Role.ADMIN, organisation)
            page.goto(url + "/beheer/resultaten/")
        case "admin-campaigns":
            make_campaign(organisation, name="Nieuwsbrief december: oplichting rond de feestdagen")
            _log_in(page, server, Role.COMMUNICATIONS, organisation)
            page.goto(url + "/beheer/campagnes/")
        case "admin-contacts":
            make_contact(organisation, email=LONG_ADDRESS)
            _log_in(page, server, Role.COMMUNICATIONS, organisation)
            page.goto(f"{url}/beheer/contacten/?organisatie={organisation.id}")
        case "admin-mail":
            make_message(organisation, to_address=LONG_ADDRESS, status=MessageStatus.SENT)
            _log_in(page, server, Role.ADMIN, organisation)
            page.goto(url + "/beheer/mail/")
        case "selfhelp-listing":
            make_selfhelp_page(organisation, title="Opgelicht? Dit doet u nu")
            make_selfhelp_page(organisation, title="Valse factuur betaald", audience=PageAudience.BUSINESSES)
            page.goto(f"{url}/zelfhulp/{organisation.slug}")
        case "selfhelp-page":
            shown = make_selfhelp_page(organisation, body=SELFHELP_BODY)
            page.goto(f"{url}/zelfhulp/{organisation.slug}/{shown.slug}")
        case "admin-selfhelp":
            make_selfhelp_page(organisation, title="Account gehackt")
            make_selfhelp_page(organisation, title="Concept", published=False)
            _log_in(page, server, Role.COMMUNICATIONS, organisation)
            page.goto(url + "/beheer/zelfhulp/")
        case "admin-selfhelp-form":
            shown = make_selfhelp_page(organisation, body=SELFHELP_BODY)
            _log_in(page, server, Role.ORGANISER, organisation)
            page.goto(f"{url}/beheer/zelfhulp/{shown.id}")
        case "admin-event-form":
            _log_in(page, server, Role.ADMIN, organisation)
            page.goto(url + "/beheer/evenementen/nieuw")
    db.session.remove()


PAGES = ["listing", "event", "signup-errors", "manage", "newsletter-subscribe", "newsletter-subscribe-errors",
         "privacy-statement", "login", "admin-dashboard", "admin-events", "admin-registrations", "admin-results",
         "admin-campaigns", "admin-contacts", "admin-mail", "admin-event-form", "selfhelp-listing", "selfhelp-page",
         "admin-selfhelp", "admin-selfhelp-form"]
SELFHELP_BODY = ("## Bel direct uw bank\n\nBlokkeer uw pas.\n\n1. Bel 0900-8844\n2. Doe [aangifte](https://www.politie.nl)"
                 "\n\n<script>alert(1)</script>")


def _overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone_and_a_desktop_without_accessibility_violations(
    app: Flask, live_server: LiveServer, page: Page, artifacts: Path, name: str
) -> None:
    _open(page, live_server, name)
    assert page.locator("main h1").count() == 1, page.url
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(artifacts / f"look-{name}-{width}.png"), full_page=True)
        assert _overflow(page) <= 0, f"{name} scrolls sideways at {width} px"
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert results.violations_count == 0, results.generate_report()


def _font(page: Page, selector: str) -> str:
    return page.locator(selector).first.evaluate("(e) => getComputedStyle(e).fontFamily")


def test_one_type_family_for_headings_text_facts_and_controls(app: Flask, live_server: LiveServer, page: Page) -> None:
    _open(page, live_server, "manage")
    family = _font(page, "h1")
    assert "Noto Sans" in family
    for selector in ("body", "p", "dt", "dd", "button"):
        assert _font(page, selector) == family, selector


def test_an_untouched_radio_is_drawn_normally_and_the_consent_error_sits_beside_its_box(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    _open(page, live_server, "newsletter-subscribe")
    radio = page.locator("input[type=radio]").first
    normal = radio.evaluate("(e) => getComputedStyle(e).borderColor")
    page.set_viewport_size({"width": 375, "height": 800})
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("input[type=radio]").first.evaluate("(e) => getComputedStyle(e).borderColor") == normal
    error = page.locator("#consent-error")
    assert error.bounding_box()["width"] > 200  # one line of words, not one word a line
    box, label = page.locator("#consent").bounding_box(), page.locator("label[for=consent]").bounding_box()
    assert error.bounding_box()["x"] == pytest.approx(label["x"], abs=2) and label["x"] > box["x"] + box["width"]


def test_the_admin_menu_folds_into_one_row_on_a_phone_and_opens_by_keyboard(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    _open(page, live_server, "admin-dashboard")
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] < 80
    assert not page.locator("#site-menu").get_by_role("link", name="Campagnes").is_visible()
    toggle = page.locator("#site-menu-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-menu").get_by_role("link", name="Resultaten").is_visible()
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not toggle.is_visible() and header.bounding_box()["height"] < 80


def test_a_long_address_breaks_after_the_at_sign_not_mid_word(app: Flask, live_server: LiveServer, page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    _open(page, live_server, "manage")
    address = page.locator(".registration-details dd").nth(1)
    assert address.inner_text().replace("\n", "") == LONG_ADDRESS
    lines = address.evaluate("""(dd) => { const r = document.createRange(); r.selectNodeContents(dd);
        return [...new Set([...r.getClientRects()].map((rect) => Math.round(rect.top)))].length; }""")
    assert lines >= 2
    assert "@<wbr>" in address.inner_html()


def test_a_table_wider_than_a_phone_scrolls_in_its_frame_as_a_named_keyboard_region(
    app: Flask, live_server: LiveServer, page: Page
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    _open(page, live_server, "admin-results")
    wide = page.locator(".table-wrap--scrolls").first
    assert wide.get_attribute("tabindex") == "0" and wide.get_attribute("role") == "region"
    assert wide.get_attribute("aria-label")
    assert _overflow(page) <= 0
