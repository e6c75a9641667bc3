"""An organiser through the deployed stack: create and publish an event with a question, run the door on a
phone (typed code, search as you type, walk-in, undo), and download both attendance exports."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from core.timeutils import to_local, utcnow
from tests.deployed.conftest import People, log_in, open_event
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed
TITLE = "Cyberavond voor ondernemers"
QUESTION = "Welke bank gebruikt u?"


def _local(days: float) -> str:
    return to_local(utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _create_and_publish(page: Page, people: People) -> None:
    page.goto("/beheer/evenementen/nieuw")
    page.get_by_label(re.compile(r"^Titel")).fill(TITLE)
    page.get_by_label(re.compile(r"^Doelgroep")).select_option(label="Inwoners")
    page.get_by_label(re.compile(r"^Naam van de locatie")).fill("Bibliotheek Deployburg")
    page.get_by_label(re.compile(r"^Aantal plaatsen")).fill("30")
    # A start in the past (a typo of the year) is not saved without a yes.
    page.get_by_label(re.compile(r"^Begint op")).fill(_local(-400))
    page.get_by_label(re.compile(r"^Eindigt op")).fill(_local(-400 + 0.1))
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Dit begin ligt in het verleden.").first).to_be_visible()
    page.get_by_label(re.compile(r"^Begint op")).fill(_local(1))
    page.get_by_label(re.compile(r"^Eindigt op")).fill(_local(1.1))
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De bijeenkomst is als concept opgeslagen.")).to_be_visible()

    page.get_by_role("link", name="Vragen", exact=True).click()
    page.get_by_label(re.compile(r"^Vraag")).first.fill(QUESTION)
    page.get_by_label(re.compile(r"^Soort antwoord")).select_option(label="Korte tekst")
    page.get_by_role("button", name="Vraag toevoegen").click()
    expect(page.get_by_text(QUESTION).first).to_be_visible()

    page.get_by_role("link", name="Gegevens", exact=True).click()
    page.get_by_role("button", name="Publiceren").click()
    expect(page.get_by_text("De bijeenkomst is gepubliceerd.")).to_be_visible()


def _sign_up(stack: Stack, page: Page, people: People, name: str, address: str, bank: str) -> str:
    """Signs up from the public listing; returns the ticket code from the manage page linked in the mail."""
    open_event(page, people, TITLE)
    page.get_by_label(re.compile(r"^Naam \(verplicht\)")).fill(name)
    page.get_by_label(re.compile(r"^E-mailadres")).fill(address)
    page.get_by_label(QUESTION).fill(bank)
    page.locator(".signup-form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedankt, uw aanmelding is ontvangen")
    mail = stack.mail.wait_for(address, f"Aanmelding bevestigd: {TITLE}")
    page.goto(mail.link(stack.base_url, "/aanmelding/"))
    return page.locator("figcaption code").inner_text().strip()


def _door(stack: Stack, phone: Page, jan_code: str) -> None:
    phone.goto("/beheer/check-in/")
    phone.get_by_role("link", name=TITLE).click()
    headline = phone.locator(".door-result__headline")

    phone.get_by_label(re.compile(r"^Code van het toegangsbewijs")).fill(jan_code)
    phone.locator("#code-form button[type=submit]").click()
    expect(headline).to_have_text("Ingecheckt")
    expect(phone.locator('[data-count="checked_in"]')).to_have_text("1")
    phone.locator("#door-result").get_by_role("button", name="Ongedaan maken").click()
    expect(headline).to_have_text("Check-in ongedaan gemaakt")
    expect(phone.locator('[data-count="checked_in"]')).to_have_text("0")
    phone.get_by_label(re.compile(r"^Code van het toegangsbewijs")).fill(jan_code)
    phone.locator("#code-form button[type=submit]").click()
    expect(headline).to_have_text("Ingecheckt")

    phone.locator("#zoek").press_sequentially("Pieter")
    button = phone.get_by_role("button", name=re.compile(r"^Inchecken\s?: Pieter Post$"))
    expect(button).to_have_text("Inchecken: Pieter Post")
    button.click()
    expect(headline).to_have_text("Ingecheckt")
    expect(phone.locator("#search-results")).to_contain_text("Ingecheckt om ")
    assert "undefined" not in phone.locator("#door").inner_text()

    phone.get_by_role("link", name="Iemand zonder aanmelding binnenlaten").click()
    phone.get_by_label(re.compile(r"^Naam \(verplicht\)")).fill("Wim Binnenloper")
    phone.get_by_label(re.compile(r"^E-mailadres")).fill("wim@burger.example")
    phone.get_by_role("button", name="Aanmelden en inchecken").click()
    expect(headline).to_have_text("Ingecheckt")
    expect(phone.locator('[data-count="checked_in"]')).to_have_text("3")
    phone.get_by_role("link", name="Iemand zonder aanmelding binnenlaten").click()
    phone.get_by_label(re.compile(r"^Naam \(verplicht\)")).fill("Nina Naamloos")  # no address: a name is enough
    phone.get_by_role("button", name="Aanmelden en inchecken").click()
    expect(headline).to_have_text("Ingecheckt")
    expect(phone.locator('[data-count="checked_in"]')).to_have_text("4")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    door_path = re.match(r"/beheer/check-in/\d+", phone.evaluate("location.pathname")).group()
    listed = phone.request.get(door_path + "/lijst.json")  # through nginx: the device's list is never cached
    assert listed.status == 200 and listed.headers["cache-control"] == "no-store"
    assert "@" not in listed.text() and {person["name"] for person in listed.json()["people"]} >= {"Nina Naamloos"}
    worker = phone.request.get("/beheer/check-in/door-sw.js")
    assert worker.status == 200 and worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/beheer/check-in/"


def _download(page: Page, link: str) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("link", name=link).click()
    return download.value.path().read_bytes()


def test_organiser_creates_publishes_runs_the_door_and_exports(
        stack: Stack, people: People, new_person: Callable[..., Page]) -> None:
    desk = new_person()
    log_in(desk, people.organiser)
    _create_and_publish(desk, people)

    jan_code = _sign_up(stack, new_person(), people, "Jan Janssen", "jan@burger.example", "De Spaarbank")
    _sign_up(stack, new_person(), people, "Pieter Post", "pieter@burger.example", "Bank Oost")

    phone = new_person(width=375, height=667)
    log_in(phone, people.organiser)
    _door(stack, phone, jan_code)

    desk.get_by_role("link", name="Aanmeldingen", exact=True).click()
    body = _download(desk, "Exporteren als CSV (Excel)")
    assert body.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    by_name = {row[header.index("Naam")]: row for row in rows}
    assert set(by_name) == {"Jan Janssen", "Pieter Post", "Wim Binnenloper", "Nina Naamloos"}
    assert [by_name[name][header.index("Binnenloper")] for name in ("Jan Janssen", "Wim Binnenloper", "Nina Naamloos")] \
        == ["Nee", "Ja", "Ja"]
    assert by_name["Jan Janssen"][header.index(QUESTION)] == "De Spaarbank"
    assert all(row[header.index("Ingecheckt op")] for row in rows)

    sheet = load_workbook(io.BytesIO(_download(desk, "Exporteren als Excel-bestand (XLSX)")), read_only=True).active
    xlsx_header, *xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert xlsx_header == header
    assert {row[header.index(QUESTION)] for row in xlsx_rows} >= {"De Spaarbank", "Bank Oost"}
    assert all(isinstance(row[header.index("Ingecheckt op")], datetime) for row in xlsx_rows)
    sheet_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(
        _download(desk, "Presentielijst om te tekenen (PDF)"))).pages)
    assert all(name in sheet_text for name in by_name)
