"""The agenda widget and iframe on a municipality's own page (a static host page served on loopback).

The host page is hostile (`* { color: red !important }`); the widget must look like itself, be usable by
keyboard and screen reader (axe: no violation on the whole host page), and the iframe must be refused by
the browser on an origin the organisation did not list (127.0.0.1 is listed, localhost is not).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from accounts.models import Organisation
from events.models import EventStatus
from extensions import db
from tests.conftest import LiveServer
from tests.factories import make_event, make_organisation, outbox

pytestmark = pytest.mark.browser
RED = "rgb(255, 0, 0)"


class HostSite:
    """A municipality's page with the widget and the iframe, on its own loopback port."""

    def __init__(self, weerbaar: str, slug: str, frame: str = "agenda") -> None:
        page = f"""<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Gemeente Voorbeeld</title>
<style>* {{ color: red !important; font-family: serif !important; background: #fff !important }}</style></head>
<body><main><h1>Agenda van de gemeente</h1>
<script src="{weerbaar}/static/js/widget.js" data-organisation="{slug}" data-limit="5" async></script>
<iframe src="{weerbaar}/insluiten/{slug}/{frame}" title="Bijeenkomsten in de regio" width="600" height="900"></iframe>
</main></body></html>""".encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server interface
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def organisation(live_server: LiveServer) -> Organisation:
    organisation = make_organisation(name="Gemeente Voorbeeld", brand_colour="#ffcc00")
    make_event(organisation, title="Phishing herkennen")
    make_event(organisation, title="Veilig bankieren", status=EventStatus.CANCELLED)
    make_event(make_organisation(), title="Van een ander")
    return organisation


@pytest.fixture
def host(live_server: LiveServer, organisation: Organisation) -> Iterator[HostSite]:
    site = HostSite(live_server.url, organisation.slug)
    organisation.embed_origins = [f"http://127.0.0.1:{site.port}"]
    db.session.commit()
    yield site
    site.stop()


def test_widget_lists_the_events_in_its_own_style_and_is_accessible(page: Page, host: HostSite) -> None:
    page.goto(f"http://127.0.0.1:{host.port}/")
    widget = page.get_by_role("region", name="Bijeenkomsten van Gemeente Voorbeeld")
    titles = widget.locator(".embed__title")
    titles.first.wait_for()
    assert titles.all_inner_texts() == ["Phishing herkennen", "Veilig bankieren"]
    assert widget.get_by_text("Gaat niet door").count() == 1
    assert widget.get_by_role("link", name="Phishing herkennen").count() == 1
    assert page.locator("h1").evaluate("e => getComputedStyle(e).color") == RED, "the host's CSS is in force"
    for element in (titles.first, widget.locator(".embed__when").first, widget.locator(".embed__heading")):
        assert element.evaluate("e => getComputedStyle(e).color") != RED, "the host page's CSS leaked in"
    assert "serif" != titles.first.evaluate("e => getComputedStyle(e).fontFamily")

    page.keyboard.press("Tab")
    focused = page.evaluate("() => { const a = document.activeElement; "
                            "return (a.shadowRoot ? a.shadowRoot.activeElement : a).textContent }")
    assert focused == "Phishing herkennen"

    frame = page.frame_locator("iframe")
    assert frame.locator(".embed__title").all_inner_texts() == ["Phishing herkennen", "Veilig bankieren"]
    assert frame.locator(".embed__title").first.get_attribute("target") == "_top"

    _no_axe_violations(page)
    page.goto(frame.owner.get_attribute("src"))  # the frame's own page, as axe does not enter frames
    _no_axe_violations(page)


def _no_axe_violations(page: Page) -> None:
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    assert results.violations_count == 0, results.generate_report()


def test_iframe_is_refused_on_a_site_the_organisation_did_not_list(page: Page, host: HostSite) -> None:
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None)
    page.goto(f"http://localhost:{host.port}/")
    page.get_by_role("region", name="Bijeenkomsten van Gemeente Voorbeeld").locator(".embed__title").first.wait_for()
    page.wait_for_timeout(500)
    assert page.frame_locator("iframe").locator(".embed__title").count() == 0
    assert refusals, "Chromium names the frame-ancestors directive it refused the frame for"


def test_newsletter_form_in_a_cross_site_frame_subscribes_without_cookies(page: Page, live_server: LiveServer,
                                                                        organisation: Organisation) -> None:
    """localhost frames 127.0.0.1: another site, so the browser sends the frame no SameSite=Lax cookie."""
    site = HostSite(live_server.url, organisation.slug, frame="nieuwsbrief")
    try:
        organisation.embed_origins = [f"http://localhost:{site.port}"]
        db.session.commit()
        page.goto(f"http://localhost:{site.port}/")
        frame = page.frame_locator("iframe")
        frame.get_by_label("E-mailadres").wait_for()
        frame.get_by_label("E-mailadres").fill("anna@example.org")
        frame.get_by_label("Inwoner").check()
        frame.get_by_label("Ik wil e-mail ontvangen", exact=False).check()
        frame.get_by_role("button", name="Aanmelden").click()
        frame.get_by_role("heading", name="Controleer uw e-mail").wait_for()
        assert page.context.cookies(live_server.url) == []
        (row,) = outbox("confirm_subscription")
        assert row.to_address == "anna@example.org"
        page.goto(f"{live_server.url}/insluiten/{organisation.slug}/nieuwsbrief")
        _no_axe_violations(page)
    finally:
        site.stop()
