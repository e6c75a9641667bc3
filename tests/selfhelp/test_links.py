"""Where self-help pages are linked: event mails, campaign templates, the organisation's public pages, the results."""
from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from campaigns.services.campaigns import render_sample
from events.notifications import signup_mail
from extensions import db
from selfhelp import services
from tests.factories import login, make_campaign, make_event, make_organisation, make_registration, make_selfhelp_page, make_user


def test_an_event_mail_links_the_self_help_list_only_when_there_is_a_published_page(app: Flask) -> None:
    organisation = make_organisation()
    registration = make_registration(make_event(organisation))
    assert "/zelfhulp/" not in signup_mail(registration).html_body
    draft = make_selfhelp_page(organisation, published=False)
    assert "/zelfhulp/" not in signup_mail(registration).html_body
    draft.published = True
    db.session.commit()
    mail = signup_mail(registration)
    assert f"http://localhost/zelfhulp/{organisation.slug}" in mail.html_body
    assert f"/zelfhulp/{organisation.slug}" in mail.text_body


def test_the_awareness_template_lists_the_pages_and_the_list(app: Flask) -> None:
    organisation = make_organisation()
    page = make_selfhelp_page(organisation, title="Valse factuur betaald", slug="valse-factuur")
    other = make_organisation()
    make_selfhelp_page(other, title="Van een ander")
    rendered = render_sample(make_campaign(organisation, "awareness"))
    assert f"/zelfhulp/{organisation.slug}/{page.slug}" in rendered.html and "Valse factuur betaald" in rendered.html
    assert "Van een ander" not in rendered.html


def test_the_organisations_event_listing_links_its_self_help(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_event(organisation)
    listing = client.get(f"/?organisatie={organisation.slug}").get_data(as_text=True)
    assert f"/zelfhulp/{organisation.slug}" not in listing
    make_selfhelp_page(organisation)
    listing = client.get(f"/?organisatie={organisation.slug}").get_data(as_text=True)
    assert f'href="/zelfhulp/{organisation.slug}"' in listing


def test_the_results_dashboard_shows_readings_per_page_of_the_own_organisation_only(client: FlaskClient) -> None:
    organisation, other = make_organisation(), make_organisation()
    page = make_selfhelp_page(organisation, title="Account gehackt")
    hidden = make_selfhelp_page(other, title="Beta-pagina")
    for _ in range(4):
        services.count_view(page.id)
    services.count_view(hidden.id)
    db.session.commit()
    login(client, make_user(organisation, Role.ORGANISER))
    html = client.get("/beheer/resultaten/").get_data(as_text=True)
    assert "Account gehackt" in html and '<td class="numeric">4</td>' in html
    assert "Beta-pagina" not in html
