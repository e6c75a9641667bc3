"""The municipality's own site as deployed (nginx → gunicorn in production configuration → PostgreSQL):
the embed page's frame-ancestors survive the proxy, the open API answers any origin, the widget script is
served, and the embedded subscribe form works without a cookie and refuses another site's POST."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests

from tests.deployed.conftest import Seed
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed
MUNICIPALITY_SITE = "https://www.embedstad.example"


@dataclass(frozen=True)
class Embedder:
    slug: str
    event_title: str


@pytest.fixture(scope="module")
def embedder(seed: Seed) -> Embedder:
    from tests.factories import make_event, make_organisation

    def make() -> Embedder:
        organisation = make_organisation(name="Gemeente Embedstad", embed_origins=[MUNICIPALITY_SITE])
        event = make_event(organisation, title="Phishing herkennen in Embedstad")
        return Embedder(organisation.slug, event.title)

    return seed(make)


def _get(stack: Stack, path: str, **headers: str) -> requests.Response:
    return requests.get(stack.base_url + path, headers=headers, timeout=15, allow_redirects=False,
                        verify=str(stack.certificate))


def test_agenda_iframe_may_be_framed_by_the_listed_site_only(stack: Stack, embedder: Embedder) -> None:
    response = _get(stack, f"/insluiten/{embedder.slug}/agenda")
    assert response.status_code == 200 and embedder.event_title in response.text
    assert f"frame-ancestors {MUNICIPALITY_SITE}" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers and "Set-Cookie" not in response.headers
    listing = _get(stack, "/")
    assert listing.headers["X-Frame-Options"] == "DENY"


def test_open_api_and_widget_script_are_served_to_any_site(stack: Stack, embedder: Embedder) -> None:
    api = _get(stack, f"/api/v1/events?organisation={embedder.slug}", Origin=MUNICIPALITY_SITE)
    assert api.status_code == 200 and api.headers["Access-Control-Allow-Origin"] == "*"
    assert [event["title"] for event in api.json()["events"]] == [embedder.event_title]
    script = _get(stack, "/static/js/widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]


def test_embedded_subscribe_form_works_without_a_cookie_and_refuses_other_sites(stack: Stack,
                                                                                embedder: Embedder) -> None:
    path = f"/insluiten/{embedder.slug}/nieuwsbrief"
    page = _get(stack, path)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.text)[1]
    data = {"email": "embed-lezer@deployed.example", "audience": "citizen", "consent": "y", "form_token": token}
    own = "{0.scheme}://{0.netloc}".format(urlsplit(stack.base_url))
    for origin, status in ((MUNICIPALITY_SITE, 403), (own, 200)):
        response = requests.post(stack.base_url + path, data=data, headers={"Origin": origin}, timeout=15,
                                 allow_redirects=False, verify=str(stack.certificate))
        assert response.status_code == status, origin
    assert "Controleer uw e-mail" in response.text
