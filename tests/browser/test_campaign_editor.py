"""The visual campaign editor in Chromium: build a mail from blocks (text, image with alt, event),
save, preview at 600 and 320 px, test-send and send; the mail at the loopback relay carries the
locked footer with a working unsubscribe link and the List-Unsubscribe headers."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from bs4 import BeautifulSoup
from flask import Flask
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import Role
from campaigns.services import editor
from extensions import db
from mailing.worker import run_worker
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
    make_contact(organisation, email="lezer@example.org", name="Lies")
    campaign = make_campaign(organisation, "blank", name="Editor-campagne")
    return officer, event, campaign


def _open_editor(page: Page, server: LiveServer, campaign_id: int) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"{message.text} {message.location.get('url')}")
            if message.type == "error" and "favicon" not in message.location.get("url", "") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{server.url}/beheer/campagnes/{campaign_id}/ontwerp")
    page.frame_locator(".gjs-frame").locator("body").wait_for(state="attached")
    page.wait_for_timeout(500)
    return problems


def test_build_save_preview_test_send_and_send(page: Page, smtp_app: Flask, live_server: LiveServer,  # noqa: F811
                                               relay: Relay, tmp_path: Path, artifacts: Path) -> None:  # noqa: F811
    officer, event, campaign = _world(smtp_app, live_server)
    _log_in(page, live_server, officer.email)
    problems = _open_editor(page, live_server, campaign.id)
    canvas = page.frame_locator(".gjs-frame")
    page.screenshot(path=str(artifacts / "campaign-editor-open.png"), full_page=True)

    page.select_option("#add-block", "mj-text")
    page.click("#add-block-button")
    canvas.get_by_text("Insert text here").dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("Kom naar onze avond over phishing. ")
    page.locator(".gjs-rte-toolbar select").select_option("*|NAAM|*")
    expect(canvas.get_by_text("Kom naar onze avond")).to_contain_text("*|NAAM|*")

    page.select_option("#add-block", "mj-image")
    page.click("#add-block-button")
    canvas.locator("img").last.dblclick()
    page.set_input_files(".gjs-am-file-uploader input[type=file]", str(_png(tmp_path)))
    page.wait_for_timeout(1500)
    page.locator(".gjs-am-asset-image").first.click()
    page.locator(".gjs-mdl-btn-close").click()
    page.locator(".gjs-pn-btn.fa-cog").click()
    page.locator(".gjs-trt-trait input[id$=alt], .gjs-trt-trait__wrp-alt input").first.fill("Poster van de bijeenkomst")
    page.keyboard.press("Tab")

    page.select_option("#add-event", str(event.id))
    page.click("#add-event-button")
    expect(canvas.get_by_text("Phishing herkennen")).to_be_visible()

    page.click("#design-save")
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("De inhoud is opgeslagen")
    assert problems == []

    previews = page.locator(".campaign-preview iframe")
    widths = [round(previews.nth(i).bounding_box()["width"]) for i in range(2)]
    assert widths[0] >= 600 and widths[1] == 320
    for i in range(2):
        frame = previews.nth(i).content_frame
        expect(frame.get_by_text("Phishing herkennen")).to_be_visible()
        expect(frame.get_by_text("Afmelden voor deze berichten")).to_be_attached()
    page.screenshot(path=str(artifacts / "campaign-editor-saved.png"), full_page=True)

    page.goto(f"{live_server.url}/beheer/campagnes/{campaign.id}/controle")
    expect(page.locator(".preflight")).not_to_contain_text("Blokkeert verzending")

    page.goto(f"{live_server.url}/beheer/campagnes/{campaign.id}")
    page.fill("#addresses", "test@example.org")
    page.locator("#addresses").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Nu versturen…").click()  # the confirmation page first
    page.get_by_role("button", name=re.compile(r"^Ja, nu versturen naar")).click()
    page.wait_for_load_state()
    assert run_worker(once=True) == 2

    received = {message["To"].addresses[0].addr_spec: message for message in relay.received}
    assert received["test@example.org"]["Subject"].startswith("[TEST]")
    mail = received["lezer@example.org"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = mail["List-Unsubscribe"].strip("<> ")
    html = BeautifulSoup(mail.get_body(("html",)).get_content(), "html.parser")
    footer_link = html.find("a", string=re.compile("Afmelden voor deze berichten"))
    assert footer_link is not None and footer_link["href"].startswith(live_server.url)
    assert requests.get(footer_link["href"], timeout=5).status_code == 200
    assert requests.post(one_click, data={"List-Unsubscribe": "One-Click"}, timeout=5).status_code == 200
    image = html.find("img", alt="Poster van de bijeenkomst")
    assert image is not None and urlsplit(image["src"]).path.startswith("/nieuwsbrief/afbeelding/")
    assert requests.get(image["src"], timeout=5).headers["Content-Type"] == "image/png"
    signup = html.find("a", href=re.compile(rf"/evenementen/{event.id}/"))
    assert signup is not None and signup["href"].endswith(f"?bron=campagne-{campaign.id}")


def test_editor_page_chrome_has_no_axe_violations(page: Page, app: Flask, live_server: LiveServer) -> None:
    officer, _event, campaign = _world(app, live_server)
    _log_in(page, live_server, officer.email)
    assert _open_editor(page, live_server, campaign.id) == []
    results = Axe().run(page, options={"runOnly": WCAG_TAGS})  # GrapesJS's panels and canvas included
    assert results.violations_count == 0, results.generate_report()


def test_raw_edit_page_with_its_link_to_the_editor_has_no_axe_violations(page: Page, app: Flask,
                                                                          live_server: LiveServer) -> None:
    officer, _event, campaign = _world(app, live_server)
    _log_in(page, live_server, officer.email)
    page.goto(f"{live_server.url}/beheer/campagnes/{campaign.id}/bewerken")
    expect(page.locator("#open-design")).to_be_visible()
    results = Axe().run(page, options={"runOnly": WCAG_TAGS})
    assert results.violations_count == 0, results.generate_report()


def test_a_campaign_kept_as_template_starts_a_new_one_in_the_visual_editor_with_the_footer_locked(
        page: Page, app: Flask, live_server: LiveServer) -> None:
    officer, _event, campaign = _world(app, live_server)
    editor.save_visual(campaign, '<mj-section><mj-column><mj-text><p>Vaste rubriek: wachtwoorden</p></mj-text>'
                                 '</mj-column></mj-section>')
    db.session.commit()
    _log_in(page, live_server, officer.email)
    page.goto(f"{live_server.url}/beheer/campagnes/{campaign.id}")
    page.fill("#template-name", "Vaste nieuwsbrief")
    page.get_by_role("button", name="Bewaren als sjabloon").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("Sjabloon “Vaste nieuwsbrief” bewaard")
    expect(page.get_by_role("row", name=re.compile("Vaste nieuwsbrief"))).to_contain_text("Visueel")
    assert Axe().run(page, options={"runOnly": WCAG_TAGS}).violations_count == 0
    page.get_by_role("link", name="Verwijderen Vaste nieuwsbrief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sjabloon Vaste nieuwsbrief verwijderen?")
    assert Axe().run(page, options={"runOnly": WCAG_TAGS}).violations_count == 0
    page.get_by_role("link", name="Terug, niets wijzigen").click()

    page.get_by_role("link", name="Nieuwe campagne").last.click()
    page.fill("#name", "Nieuwsbrief april")
    page.get_by_label("Eigen sjabloon: Vaste nieuwsbrief").check()
    assert Axe().run(page, options={"runOnly": WCAG_TAGS}).violations_count == 0
    page.get_by_role("button", name="Aanmaken").click()
    page.frame_locator(".gjs-frame").locator("body").wait_for(state="attached")

    assert urlsplit(page.url).path.endswith("/ontwerp")
    canvas = page.frame_locator(".gjs-frame")
    expect(canvas.get_by_text("Vaste rubriek: wachtwoorden")).to_be_visible()
    expect(canvas.get_by_text("Afmelden voor deze berichten")).to_have_count(0)  # the footer is not content
    canvas.get_by_text("Vaste rubriek: wachtwoorden").click()
    page.keyboard.press("Delete")
    page.click("#design-save")
    page.wait_for_load_state()
    for i in range(2):  # the saved campaign still has the locked footer, whatever was removed
        expect(page.locator(".campaign-preview iframe").nth(i).content_frame
               .get_by_text("Afmelden voor deze berichten")).to_be_attached()


def test_a_template_from_the_shipped_blank_design_is_edited_saved_and_reopened_with_the_footer_locked(
        page: Page, app: Flask, live_server: LiveServer) -> None:
    officer, _event, campaign = _world(app, live_server)
    _log_in(page, live_server, officer.email)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}/beheer/campagnes/sjablonen?organisatie={campaign.organisation_id}")
    page.get_by_role("link", name="Nieuw sjabloon").click()
    page.fill("#name", "Maandbrief")
    page.get_by_label("Leeg ontwerp voor de visuele editor").check()
    assert Axe().run(page, options={"runOnly": WCAG_TAGS}).violations_count == 0
    page.get_by_role("button", name="Aanmaken").click()
    canvas = page.frame_locator(".gjs-frame")
    canvas.locator("body").wait_for(state="attached")
    assert urlsplit(page.url).path.endswith("/ontwerp")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sjabloon ontwerpen: Maandbrief")
    results = Axe().run(page, options={"runOnly": WCAG_TAGS})
    assert results.violations_count == 0, results.generate_report()

    canvas.get_by_text("Schrijf hier uw bericht.").dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("Vaste rubriek: updates van de maand")
    page.get_by_role("heading", level=1).click()  # leaves the text: the editor's update starts the live preview
    expect(page.locator(".campaign-preview iframe").first.content_frame  # the live preview, before saving
           .get_by_text("Vaste rubriek: updates van de maand")).to_be_attached(timeout=10_000)
    page.click("#design-save")
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("De inhoud is opgeslagen.")

    page.goto(f"{live_server.url}/beheer/campagnes/sjablonen?organisatie={campaign.organisation_id}")
    page.get_by_role("link", name="Visueel bewerken Maandbrief").click()
    page.frame_locator(".gjs-frame").locator("body").wait_for(state="attached")
    expect(canvas.get_by_text("Vaste rubriek: updates van de maand")).to_be_visible()
    expect(canvas.get_by_text("Afmelden voor deze berichten")).to_have_count(0)  # the footer is not content
    for i in range(2):  # but it is in every preview of the template
        expect(page.locator(".campaign-preview iframe").nth(i).content_frame
               .get_by_text("Afmelden voor deze berichten")).to_be_attached()
    assert [problem for problem in problems if "favicon" not in problem] == []
