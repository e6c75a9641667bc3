"""Self-help pages: the editor, the public pages, the Markdown that stays inert, and the view counter."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from extensions import db
from selfhelp import services
from selfhelp.models import PageAudience, SelfHelpPage, SelfHelpView
from selfhelp.rendering import render_markdown
from tests.factories import login, make_organisation, make_selfhelp_page, make_user

HOSTILE = """# Kop

<script>alert(1)</script>

<img src=x onerror="alert(2)">

[klik](javascript:alert(3)) en [ook](JaVaScRiPt:alert(4)) en [data](data:text/html;base64,PHNjcmlwdD4=)

<a href="https://example.org" onclick="alert(5)">a</a>

[goed](https://www.politie.nl/aangifte) en [mail](mailto:hulp@gemeente.example)
"""


def _inert(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("img") is None and soup.find("iframe") is None
    for tag in soup.find_all(True):
        assert not any(name.lower().startswith("on") for name in tag.attrs), tag
        href = tag.get("href", "")
        assert not href.lower().startswith(("javascript:", "data:", "vbscript:")), href


def test_markdown_with_script_event_attributes_and_javascript_links_comes_out_inert() -> None:
    html = str(render_markdown(HOSTILE))
    _inert(html)
    soup = BeautifulSoup(html, "html.parser")
    links = {a["href"] for a in soup.find_all("a")}
    assert links == {"https://www.politie.nl/aangifte", "mailto:hulp@gemeente.example"}
    assert soup.find("h2").text == "Kop"  # the page title is the only h1
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, not run
    assert all(a.get("rel") == ["noopener", "noreferrer"] for a in soup.find_all("a"))


def test_markdown_keeps_lists_emphasis_and_headings() -> None:
    html = str(render_markdown("## Wat nu?\n\n1. Bel **direct** uw bank\n2. Doe *aangifte*\n\n- a\n- b"))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("h2").text == "Wat nu?" and soup.find("ol") and soup.find("ul") and soup.find("strong")


def _organiser(role: Role = Role.ORGANISER):
    organisation = make_organisation(name="Gemeente Alfa")
    return organisation, make_user(organisation, role)


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.COMMUNICATIONS, Role.ADMIN])
def test_organisers_and_communication_officers_write_and_publish_a_page(client: FlaskClient, role: Role) -> None:
    organisation, user = _organiser(role)
    login(client, user)
    assert client.get("/beheer/zelfhulp/nieuw").status_code == 200
    response = client.post("/beheer/zelfhulp/nieuw", data={
        "organisation_id": organisation.id, "title": "Opgelicht? Dit doet u nu", "audience": "citizens",
        "summary": "Bel uw bank.", "body": "## Bel uw bank\n\nBlokkeer uw pas.", "published": "y"})
    assert response.status_code == 302
    page = db.session.scalar(sa.select(SelfHelpPage))
    assert (page.slug, page.published, page.organisation_id) == ("opgelicht-dit-doet-u-nu", True, organisation.id)
    public = client.get(f"/zelfhulp/{organisation.slug}/{page.slug}")
    assert public.status_code == 200 and "Blokkeer uw pas." in public.get_data(as_text=True)
    listing = client.get(f"/zelfhulp/{organisation.slug}").get_data(as_text=True)
    assert "Opgelicht? Dit doet u nu" in listing and "Voor inwoners" in listing


def test_an_edit_keeps_the_address_and_a_draft_is_not_public(client: FlaskClient) -> None:
    organisation, user = _organiser()
    page = make_selfhelp_page(organisation, title="Account gehackt", slug="account-gehackt")
    login(client, user)
    response = client.post(f"/beheer/zelfhulp/{page.id}", data={
        "title": "Account gehackt: zo krijgt u het terug", "audience": "businesses", "body": "Wijzig uw wachtwoord."})
    assert response.status_code == 302
    db.session.refresh(page)
    assert (page.slug, page.audience, page.published) == ("account-gehackt", PageAudience.BUSINESSES, False)
    client.post("/beheer/uitloggen")
    assert client.get(f"/zelfhulp/{organisation.slug}/account-gehackt").status_code == 404
    assert "Account gehackt" not in client.get(f"/zelfhulp/{organisation.slug}").get_data(as_text=True)


def test_a_refused_form_says_why_and_stores_nothing(client: FlaskClient) -> None:
    organisation, user = _organiser()
    login(client, user)
    response = client.post("/beheer/zelfhulp/nieuw", data={"organisation_id": organisation.id, "title": "",
                                                           "audience": "aliens", "body": ""})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Vul een titel in." in text and "Schrijf de tekst van de pagina." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelfHelpPage)) == 0


def test_a_title_with_markup_is_escaped_everywhere(client: FlaskClient) -> None:
    organisation, user = _organiser()
    title = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    page = make_selfhelp_page(organisation, title=title, summary='"><svg onload=alert(3)>')
    login(client, user)
    for url in (f"/zelfhulp/{organisation.slug}", f"/zelfhulp/{organisation.slug}/{page.slug}",
                "/beheer/zelfhulp/", f"/beheer/zelfhulp/{page.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html and "<svg onload" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_another_organisation_cannot_see_edit_or_delete_a_page(client: FlaskClient) -> None:
    organisation, _user = _organiser()
    page = make_selfhelp_page(organisation, title="Alfa-pagina")
    other = make_organisation()
    login(client, make_user(other, Role.ADMIN))
    assert "Alfa-pagina" not in client.get("/beheer/zelfhulp/").get_data(as_text=True)
    assert client.get(f"/beheer/zelfhulp/{page.id}").status_code == 404
    assert client.post(f"/beheer/zelfhulp/{page.id}", data={"title": "Overgenomen", "audience": "citizens",
                                                            "body": "x"}).status_code == 404
    assert client.post(f"/beheer/zelfhulp/{page.id}/verwijderen").status_code == 404
    response = client.post("/beheer/zelfhulp/nieuw", data={"organisation_id": organisation.id, "title": "Ingeschoven",
                                                           "audience": "citizens", "body": "x"})
    assert response.status_code == 400  # not an organisation on offer
    db.session.refresh(page)
    assert page.title == "Alfa-pagina"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelfHelpPage)) == 1


@pytest.mark.parametrize("role", [Role.CHECKIN])
def test_a_door_volunteer_may_not_edit(client: FlaskClient, role: Role) -> None:
    _organisation, user = _organiser(role)
    login(client, user)
    assert client.get("/beheer/zelfhulp/").status_code == 403


def test_delete_removes_the_page_and_its_counts(client: FlaskClient) -> None:
    organisation, user = _organiser()
    page = make_selfhelp_page(organisation)
    services.count_view(page.id)
    db.session.commit()
    login(client, user)
    assert client.post(f"/beheer/zelfhulp/{page.id}/verwijderen").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelfHelpPage)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SelfHelpView)) == 0


def test_each_reading_counts_per_page_per_day_without_a_cookie(app: Flask) -> None:
    """Readers without cookies each count; the page sets no cookie of its own (only the site's session,
    which carries the CSRF token of the language switch, and nothing is counted in it)."""
    organisation = make_organisation()
    page = make_selfhelp_page(organisation)
    other = make_selfhelp_page(organisation)
    url = f"/zelfhulp/{organisation.slug}/{page.slug}"
    client = app.test_client(use_cookies=False)
    for _ in range(3):
        response = client.get(url, headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 200
        cookies = [header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")]
        assert set(cookies) <= {"session"}
    client.head(url)  # a link checker is not a reader
    client.get(f"/zelfhulp/{organisation.slug}/{other.slug}")
    rows = db.session.execute(sa.select(SelfHelpView.page_id, SelfHelpView.count)).all()
    assert sorted(rows) == sorted([(page.id, 3), (other.id, 1)])
    columns = set(SelfHelpView.__table__.columns.keys())
    assert columns == {"page_id", "day", "count"}  # nothing about the reader
    views = services.views_per_page([organisation.id], date(2000, 1, 1), date(2100, 1, 1))
    assert [(v.page_id, v.views) for v in views] == [(page.id, 3), (other.id, 1)]


def test_unknown_organisation_or_page_is_a_404(client: FlaskClient) -> None:
    organisation = make_organisation()
    assert client.get("/zelfhulp/bestaat-niet").status_code == 404
    assert client.get(f"/zelfhulp/{organisation.slug}/bestaat-niet").status_code == 404
    other = make_organisation()
    page = make_selfhelp_page(other)
    assert client.get(f"/zelfhulp/{organisation.slug}/{page.slug}").status_code == 404  # not across organisations


def test_the_same_title_twice_gets_its_own_address(client: FlaskClient) -> None:
    organisation, user = _organiser()
    login(client, user)
    for _ in range(2):
        client.post("/beheer/zelfhulp/nieuw", data={"organisation_id": organisation.id, "title": "Valse factuur betaald",
                                                    "audience": "businesses", "body": "Bel uw bank."})
    slugs = set(db.session.scalars(sa.select(SelfHelpPage.slug)))
    assert slugs == {"valse-factuur-betaald", "valse-factuur-betaald-2"}
