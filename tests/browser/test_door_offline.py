"""The door without a connection, in Chromium at phone size: two devices check people in offline by
code and by name, come back online, and the log holds each check-in once and the double scan as
"already checked in". axe finds nothing wrong offline or online."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import Role
from core.timeutils import utcnow
from events.models import CheckinLog, CheckinResult, Event, Registration
from extensions import db
from tests.browser.test_accessibility import WCAG_TAGS, _log_in
from tests.conftest import LiveServer
from tests.factories import make_event, make_organisation, make_registration, make_user

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 667}
PEOPLE = [("Anna Akkerman", "Bakkerij Ö"), ("Bram Bos", ""), ("Cato Claassen", "Gemeente"),
          ("Dirk Dekker", "Dekker ICT"), ("Eva Evers", ""), ("Frits Frans", "")]


@pytest.fixture
def devices(browser: Browser) -> Iterator[list[BrowserContext]]:
    contexts = [browser.new_context(viewport=PHONE, locale="nl-NL", service_workers="allow") for _ in range(2)]
    yield contexts
    for context in contexts:
        context.close()


def _no_violations(page: Page) -> None:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def _open_door(context: BrowserContext, server: LiveServer, event: Event, name: str) -> Page:
    page = context.new_page()
    _log_in(page, server, make_user(event.organisation, Role.CHECKIN, name=name))
    page.goto(f"{server.url}/beheer/check-in/{event.id}")
    expect(page.locator("#door")).to_have_attribute("data-offline-ready", "ready")
    expect(page.locator("#door-list-state")).to_contain_text(f"{len(PEOPLE)} personen")
    assert page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.active !== null)")
    return page


def _type_code(page: Page, code: str) -> None:
    page.fill("#code", code)
    page.locator("#code-form button[type=submit]").click()


def _pick_by_name(page: Page, term: str, name: str) -> None:
    page.fill("#zoek", "")
    page.locator("#zoek").press_sequentially(term)
    page.get_by_role("button", name=re.compile(rf"^Inchecken\s?: {name}$")).click()


def _expect_result(page: Page, headline: str, name: str) -> None:
    expect(page.locator(".door-result__headline")).to_have_text(headline)
    expect(page.locator(".door-result__detail")).to_have_text(name)


def test_two_devices_check_in_offline_and_the_log_counts_each_person_once(
    app: Flask, live_server: LiveServer, devices: list[BrowserContext]
) -> None:
    event = make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=15))
    people = [make_registration(event, name=name, company_name=company or None) for name, company in PEOPLE]
    first_device, second_device = devices
    door_a = _open_door(first_device, live_server, event, "Vera Voordeur")
    door_b = _open_door(second_device, live_server, event, "Wim Zijdeur")
    _no_violations(door_a)

    first_device.set_offline(True)
    expect(door_a.locator("#door-connection-mode")).to_contain_text("Geen verbinding")
    door_a.reload()  # the page itself comes from the service worker's cache
    expect(door_a.locator("#door-connection-mode")).to_contain_text("Geen verbinding")
    anna, bram, cato, dirk, eva = people[:5]
    _type_code(door_a, anna.door_code_shown)
    _expect_result(door_a, "Ingecheckt (zonder verbinding)", "Anna Akkerman")
    _type_code(door_a, bram.door_code.lower())
    _expect_result(door_a, "Ingecheckt (zonder verbinding)", "Bram Bos")
    _type_code(door_a, f"{cato.door_code[:4]} {cato.door_code[4:]}")
    _expect_result(door_a, "Ingecheckt (zonder verbinding)", "Cato Claassen")
    _pick_by_name(door_a, "dekker", "Dirk Dekker")  # the organisation matches too
    _expect_result(door_a, "Ingecheckt (zonder verbinding)", "Dirk Dekker")
    _pick_by_name(door_a, "Eva", "Eva Evers")
    _expect_result(door_a, "Ingecheckt (zonder verbinding)", "Eva Evers")
    _type_code(door_a, "ACDE-FGH2")
    expect(door_a.locator(".door-result__headline")).to_contain_text("staat niet in de lijst")
    expect(door_a.locator("#door-pending")).to_have_attribute("data-pending", "5")
    expect(door_a.locator("#door-pending")).to_contain_text("wachten op verzending: 5")
    expect(door_a.locator('[data-count="checked_in"]')).to_have_text("5")
    assert "@" not in door_a.locator("#search-results").inner_text()
    _no_violations(door_a)

    second_device.set_offline(True)
    _pick_by_name(door_b, "Anna", "Anna Akkerman")  # the second device does not know the first one did
    _expect_result(door_b, "Ingecheckt (zonder verbinding)", "Anna Akkerman")
    expect(door_b.locator("#door-pending")).to_have_attribute("data-pending", "1")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinLog)) == 0

    first_device.set_offline(False)
    expect(door_a.locator("#door-pending")).to_have_attribute("data-pending", "0", timeout=15000)
    expect(door_a.locator("#door-pending")).to_contain_text("5 scans verzonden")
    second_device.set_offline(False)
    expect(door_b.locator("#door-pending")).to_have_attribute("data-pending", "0", timeout=15000)
    expect(door_b.locator("#door-pending")).to_contain_text("al ingecheckt op een ander apparaat")
    _no_violations(door_a)

    db.session.expire_all()
    results = db.session.scalars(sa.select(CheckinLog.result)).all()
    assert sorted(results) == sorted([CheckinResult.CHECKED_IN] * 5 + [CheckinResult.ALREADY_CHECKED_IN])
    checked_in = db.session.scalars(sa.select(Registration.name).where(Registration.checked_in_at.is_not(None)))
    assert sorted(checked_in) == sorted(name for name, _company in PEOPLE[:5])
    expect(door_a.locator('[data-count="checked_in"]')).to_have_text("5", timeout=20000)


def test_the_list_leaves_the_device_when_the_event_has_ended(
    app: Flask, live_server: LiveServer, devices: list[BrowserContext]
) -> None:
    event = make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=15))
    for name, company in PEOPLE:
        make_registration(event, name=name, company_name=company or None)
    page = _open_door(devices[0], live_server, event, "Vera Voordeur")
    stored = "() => idbKeyval.get(%d, idbKeyval.createStore('weerbaar-door-lists', 'lists'))" % event.id
    assert set(page.evaluate(stored)["people"][0]) == {"code", "name", "organisation", "ticket", "checked_in"}
    event.ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page.evaluate("""(id) => idbKeyval.update(id, (list) => Object.assign(list, {ends_at: new Date(Date.now() - 60000)
        .toISOString()}), idbKeyval.createStore('weerbaar-door-lists', 'lists'))""", event.id)
    page.reload()
    expect(page.locator("#door")).to_have_attribute("data-offline-ready", "ready")
    assert page.evaluate(stored) is None
