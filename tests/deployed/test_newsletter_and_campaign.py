"""A newsletter subscriber and a communications officer through the deployed stack: double opt-in from the
mail, preferences, a campaign built from the template library (preview, pre-flight, test send, launch),
its mail at the relay, the statistics, and the RFC 8058 one-click unsubscribe a mail app sends."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.deployed.conftest import People, log_in
from tests.deployed.stack import Mail, Stack

pytestmark = pytest.mark.deployed
SUBSCRIBER = "sanne@burger.example"
CAMPAIGN = "Wintertips tegen phishing"


def _subscribe(stack: Stack, page: Page, people: People) -> None:
    page.goto(f"/nieuwsbrief/{people.organisation_slug}")
    page.get_by_label(re.compile(r"^E-mailadres")).fill(SUBSCRIBER)
    page.get_by_label(re.compile(r"^Naam")).fill("Sanne Lezer")
    page.get_by_label("Inwoner").check()
    page.get_by_label("Phishing en nepberichten").check()
    page.get_by_label(re.compile(r"^Ik wil e-mail ontvangen")).check()
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/controleer-uw-mail")

    mail = stack.mail.wait_for(SUBSCRIBER, f"Bevestig uw aanmelding bij {people.organisation_name}")
    page.goto(mail.link(stack.base_url, "/nieuwsbrief/bevestigen/"))
    page.get_by_role("button", name="Ja, ik wil deze berichten ontvangen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelding bevestigd")

    page.get_by_role("link", name="Uw onderwerpen kiezen of u afmelden").click()
    page.get_by_label("Wachtwoorden en inloggen").check()
    page.get_by_role("button", name="Voorkeuren opslaan").click()
    expect(page.get_by_label("Wachtwoorden en inloggen")).to_be_checked()
    expect(page.get_by_label("Phishing en nepberichten")).to_be_checked()


def _build_and_launch(stack: Stack, page: Page) -> None:
    page.goto("/beheer/campagnes/")
    page.get_by_role("link", name="Nieuwe campagne").click()
    page.get_by_label(re.compile(r"^Naam van de campagne")).fill(CAMPAIGN)
    page.get_by_label("Bewustwordingscampagne").check()
    page.get_by_role("button", name="Aanmaken").click()

    page.get_by_label(re.compile(r"^Onderwerp \(verplicht\)")).fill(CAMPAIGN)
    page.get_by_role("button", name="Opslaan en voorbeeld bijwerken").click()
    preview = page.frame_locator("iframe[title='Voorbeeld op een computer']")
    expect(preview.locator("body")).to_contain_text("Voorbeeld Lezer")  # the sample reader, personalised

    page.get_by_role("link", name="Terug naar de campagne").click()
    page.get_by_role("link", name="Controle voor verzending").click()
    expect(page.locator("li[class^='preflight__']").first).to_be_visible()
    assert page.locator("li.preflight__blocking").count() == 0, page.locator("main").inner_text()
    page.go_back()

    page.get_by_label(re.compile(r"^Testadressen")).fill("proef@deployburg.example")
    page.get_by_role("button", name="Testmail versturen").click()
    expect(page.get_by_text("De testmail staat klaar voor 1 adres(sen).")).to_be_visible()
    test = stack.mail.wait_for("proef@deployburg.example", f"[TEST] {CAMPAIGN}")
    assert SUBSCRIBER not in test.recipients

    page.get_by_role("link", name="Nu versturen…").click()
    expect(page.get_by_role("heading", name=re.compile("^Versturen bevestigen"))).to_be_visible()
    assert [mail for mail in stack.mail.to(SUBSCRIBER) if CAMPAIGN in mail.subject] == []  # nothing before the click
    page.get_by_role("button", name=re.compile(r"^Ja, nu versturen naar")).click()


def _statistic(page: Page, name: str) -> str:
    return page.get_by_role("row", name=re.compile("^" + re.escape(name))).locator("td").inner_text().strip()


def _one_click_unsubscribe(stack: Stack, mail: Mail) -> None:
    """What a mail app does with List-Unsubscribe-Post: a POST to the https link in List-Unsubscribe."""
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    target = re.search(r"<(https://[^>]+)>", str(mail.message["List-Unsubscribe"])).group(1)
    assert target.startswith(stack.base_url)
    response = requests.post(target, data="List-Unsubscribe=One-Click", verify=str(stack.certificate), timeout=10,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200


def test_subscriber_gets_the_officers_campaign_and_unsubscribes_in_one_click(
        stack: Stack, people: People, new_person: Callable[..., Page]) -> None:
    reader = new_person(width=390, height=844)
    _subscribe(stack, reader, people)

    officer = new_person()
    log_in(officer, people.officer)
    _build_and_launch(stack, officer)
    mail = stack.mail.wait_for(SUBSCRIBER, CAMPAIGN)
    assert "Sanne Lezer" in mail.text()
    campaign_page = officer.url
    officer.goto(campaign_page)
    expect(officer.get_by_role("row", name=re.compile("^Verstuurd")).locator("td")).to_have_text("1")

    _one_click_unsubscribe(stack, mail)
    reader.goto(mail.link(stack.base_url, "/nieuwsbrief/voorkeuren/"))
    expect(reader.get_by_role("main")).to_contain_text(f"{SUBSCRIBER} ontvangt geen berichten van ons.")
    officer.goto(campaign_page)
    assert _statistic(officer, "Afgemeld via deze campagne") == "1"
