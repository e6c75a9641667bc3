"""The regional admin through the deployed stack: the results of a held event, the audit log, and a
subject access request (export, then erasure) for one citizen."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from core.timeutils import utcnow
from tests.deployed.conftest import ADMIN_PASSWORD, People, Seed, log_in
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed
CITIZEN = "karel@burger.example"
SPOOFED = "203.0.113.9"


def _held_event(seed: Seed, people: People) -> None:
    """Last week's session: four confirmed, three came; Karel was one of them."""

    def make() -> None:
        import sqlalchemy as sa

        from accounts.models import Organisation
        from extensions import db
        from tests.factories import make_event, make_registration

        organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == people.organisation_slug))
        event = make_event(organisation, title="Gehouden avond", slug="gehouden-avond",
                           starts_at=utcnow() - timedelta(days=7))
        make_registration(event, name="Karel Klant", email=CITIZEN, checked_in_at=event.starts_at,
                          answers={"1": "mijn antwoord"})
        for n in range(3):
            make_registration(event, checked_in_at=event.starts_at if n < 2 else None)

    seed(make)


def _results_of(page: Page, people: People) -> None:
    """The region holds the demo's municipalities too: the admin picks ours."""
    page.goto("/beheer/resultaten/")
    page.get_by_label("Organisatie").select_option(label=people.organisation_name)
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Resultaten: {people.organisation_name}")


def _totals(page: Page) -> list[str]:
    return [cell.strip() for cell in page.locator(".results-totals dd").all_inner_texts()]


def _export(page: Page) -> dict:
    page.goto("/beheer/privacy/")
    page.locator("#inzage ~ form, form:has(#email)").first.get_by_label(
        re.compile(r"^E-mailadres van de betrokkene")).fill(CITIZEN)
    with page.expect_download() as download:
        page.get_by_role("button", name="Gegevens downloaden").click()
    return json.loads(download.value.path().read_text())


def test_regional_admin_reads_results_and_the_audit_log_and_exports_and_erases_a_person(
        stack: Stack, people: People, seed: Seed, new_person: Callable[..., Page]) -> None:
    _held_event(seed, people)
    # A made-up X-Forwarded-For: nginx replaces it, so the audit log shows where the admin really is.
    page = new_person(headers={"X-Forwarded-For": SPOOFED})
    log_in(page, people.admin, ADMIN_PASSWORD)

    _results_of(page, people)
    assert _totals(page) == ["1", "4", "3", "75%"]

    document = _export(page)
    assert document["email"] == CITIZEN
    exported = json.dumps(document["data"], ensure_ascii=False)
    assert "Karel Klant" in exported and "mijn antwoord" in exported

    erasure = page.locator("form:has(button:has-text('Gegevens wissen'))")
    erasure.get_by_label(re.compile(r"^E-mailadres van de betrokkene")).fill(CITIZEN)
    erasure.get_by_label(re.compile(r"^Ik begrijp dat dit niet ongedaan kan worden")).check()
    erasure.get_by_role("button", name="Gegevens wissen").click()
    expect(page.get_by_text(re.compile(r"geanonimiseerd\.$")).first).to_be_visible()
    after = json.dumps(_export(page)["data"], ensure_ascii=False)
    assert "Karel Klant" not in after and CITIZEN not in after

    _results_of(page, people)
    assert _totals(page) == ["1", "4", "3", "75%"]  # erasure keeps every count

    page.goto("/beheer/audit/")
    page.get_by_label("Wie").select_option(people.admin)
    page.get_by_role("button", name="Filteren").click()
    rows = [row.split("\t") for row in page.locator("table tbody tr").all_inner_texts()]
    actions = [row[2].strip() for row in rows]
    assert actions[:3] == ["Persoonsgegevens geëxporteerd (inzageverzoek)", "Persoonsgegevens gewist (verwijderverzoek)",
                           "Persoonsgegevens geëxporteerd (inzageverzoek)"]
    assert {row[1].strip() for row in rows} == {people.admin}
    assert all(row[5].strip().startswith("127.0.0.1") for row in rows), rows
    assert SPOOFED not in page.locator("table").inner_text()


def test_regional_admin_checks_the_relay_and_the_test_message_arrives(
        stack: Stack, people: People, new_person: Callable[..., Page]) -> None:
    page = new_person(width=375, height=800)
    log_in(page, people.admin, ADMIN_PASSWORD)
    page.goto("/beheer/mail/")
    page.get_by_role("link", name=re.compile("^Relay controleren")).click()
    page.get_by_label(re.compile("^Testbericht sturen aan")).fill("relaytest@gemeente.example")
    page.get_by_role("button", name="Relay controleren").click()
    expect(page.get_by_role("status")).to_have_text("De mailworker kan via deze relay versturen.")
    # The stack's SMTP sink (plain aiosmtpd) offers no PIPELINING: the check says so, as a warning.
    expect(page.get_by_role("row", name=re.compile("^PIPELINING"))).to_contain_text("Let op")
    mail = stack.mail.wait_for("relaytest@gemeente.example", "Testbericht van Weerbaar")
    assert mail.message["Auto-Submitted"] == "auto-generated"

    command = stack.flask("mailing", "check-relay", "--to", "relaytest-cli@gemeente.example")
    assert command.returncode == 0, command.stdout + command.stderr
    assert "[In orde] Testbericht" in command.stdout
    stack.mail.wait_for("relaytest-cli@gemeente.example", "Testbericht van Weerbaar")
    broken = stack.flask("mailing", "check-relay", SMTP_PORT="1")
    assert broken.returncode == 1 and "[Probleem] Verbinding" in broken.stdout
