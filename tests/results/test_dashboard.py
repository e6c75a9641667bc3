"""The results dashboard: held sessions, registered, reached and the rate, per split, scoped, as CSV."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from campaigns.services.campaigns import source_tag
from core.timeutils import to_local, utcnow
from events.models import Audience, Event, EventKind, EventStatus, RegistrationStatus
from extensions import db
from mailing.models import MessageStatus
from tests.factories import (
    login,
    make_campaign,
    make_event,
    make_message,
    make_organisation,
    make_registration,
    make_user,
)

URL = "/beheer/resultaten/"


def held(organisation: Organisation, registered: int, attended: int, days_ago: int = 10, **fields: object) -> Event:
    event = make_event(organisation, starts_at=utcnow() - timedelta(days=days_ago), **fields)
    for n in range(registered):
        make_registration(event, checked_in_at=event.starts_at if n < attended else None)
    return event


@pytest.fixture
def region() -> tuple[Organisation, Organisation]:
    east, west = make_organisation(name="Gemeente Oost"), make_organisation(name="Gemeente West")
    held(east, registered=10, attended=8, audience=Audience.CITIZENS, kind=EventKind.SESSION)
    held(east, registered=4, attended=1, audience=Audience.SMES, kind=EventKind.WORKSHOP)
    make_registration(held(east, registered=0, attended=0), status=RegistrationStatus.WAITLISTED)
    held(east, registered=5, attended=0, status=EventStatus.CANCELLED)
    held(east, registered=6, attended=0, days_ago=-5)  # upcoming: not held yet
    held(west, registered=3, attended=3, audience=Audience.SMES, kind=EventKind.WEBINAR)
    return east, west


def totals(page: str) -> list[str]:
    start = page.index('class="results-totals"')
    return [part.split("</dd>")[0] for part in page[start:page.index("</dl>", start)].split("<dd>")[1:]]


def csv_rows(client: FlaskClient, **args: str) -> list[list[str]]:
    response = client.get(URL + "resultaten.csv", query_string=args)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))


def test_organiser_sees_the_held_events_of_their_own_organisation(client: FlaskClient, region) -> None:  # noqa: ANN001
    east, _west = region
    login(client, make_user(east, Role.ORGANISER))
    page = client.get(URL).get_data(as_text=True)
    assert totals(page) == ["3", "14", "9", "64%"]
    assert "Gemeente Oost" in page and "Gemeente West" not in page


def test_regional_admin_sees_the_region_split_by_municipality(client: FlaskClient, region) -> None:  # noqa: ANN001
    login(client, make_user(regional_admin=True))
    page = client.get(URL).get_data(as_text=True)
    assert "Regio (alle organisaties)" in page
    assert totals(page) == ["4", "17", "12", "71%"]
    rows = csv_rows(client)
    assert rows[0] == ["Onderdeel", "Naam", "Bijeenkomsten", "Aangemeld", "Bereikt (aanwezig)", "Opkomst (%)"]
    assert ["Totaal", "Alles", "4", "17", "12", "71"] in rows
    assert ["Organisatie", "Gemeente Oost", "3", "14", "9", "64"] in rows
    assert ["Organisatie", "Gemeente West", "1", "3", "3", "100"] in rows
    assert ["Doelgroep", "Ondernemers (mkb)", "2", "7", "4", "57"] in rows
    assert ["Soort", "Workshop", "1", "4", "1", "25"] in rows
    month = to_local(utcnow() - timedelta(days=10)).strftime("%Y-%m")
    assert any(row[:2] == ["Maand", month] and row[2] != "0" for row in rows)


def test_an_event_under_way_counts_as_held_only_after_its_end(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    under_way = make_event(organisation, starts_at=utcnow() - timedelta(hours=1))  # ends in an hour
    make_registration(under_way, checked_in_at=utcnow())
    assert totals(client.get(URL).get_data(as_text=True))[:3] == ["0", "0", "0"]
    under_way.ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert totals(client.get(URL).get_data(as_text=True))[:3] == ["1", "1", "1"]


def test_one_organisation_can_be_chosen_and_another_ones_id_is_ignored(client: FlaskClient, region) -> None:  # noqa: ANN001
    east, west = region
    login(client, make_user(regional_admin=True))
    assert totals(client.get(URL, query_string={"organisatie": west.id}).get_data(as_text=True))[:3] == ["1", "3", "3"]
    client.post("/beheer/uitloggen")
    login(client, make_user(east, Role.ADMIN))
    page = client.get(URL, query_string={"organisatie": west.id}).get_data(as_text=True)
    assert totals(page)[:3] == ["3", "14", "9"]
    assert ["Organisatie", "Gemeente West", "1", "3", "3", "100"] not in csv_rows(client, organisatie=str(west.id))


def test_period_is_the_last_twelve_months_or_a_calendar_year(client: FlaskClient) -> None:
    organisation = make_organisation()
    held(organisation, registered=2, attended=2, days_ago=400)
    login(client, make_user(organisation, Role.ORGANISER))
    assert totals(client.get(URL).get_data(as_text=True))[0] == "0"
    year = (utcnow() - timedelta(days=400)).year
    assert totals(client.get(URL, query_string={"periode": year}).get_data(as_text=True))[0] == "1"
    for odd in ("1999", "abc", "", "12"):
        assert client.get(URL, query_string={"periode": odd}).status_code == 200
    assert client.get(URL, query_string={"_external": "1", "_method": "x", "organisatie": "x"}).status_code == 200


def test_empty_dashboard_shows_zeros_and_no_rate(client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.COMMUNICATIONS))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert totals(page) == ["0", "0", "0", "–"]
    assert "Nog geen campagnegegevens." in page and "<svg" in page


@pytest.mark.parametrize("role", [Role.CHECKIN])
def test_roles_without_view_results_get_403(client: FlaskClient, role: Role) -> None:
    login(client, make_user(make_organisation(), role))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "resultaten.csv").status_code == 403


def test_aggregates_take_the_same_number_of_queries_for_few_or_many_events(client: FlaskClient, count_queries) -> None:  # noqa: ANN001
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    held(organisation, registered=2, attended=1)
    with count_queries() as few:
        client.get(URL)
    for _ in range(8):
        held(organisation, registered=3, attended=2, kind=EventKind.WEBINAR)
    with count_queries() as many:
        client.get(URL)
    assert len(many) == len(few)


def test_printable_page_has_print_css_and_no_inline_script(client: FlaskClient) -> None:
    login(client, make_user(make_organisation(), Role.ORGANISER))
    page = client.get(URL).get_data(as_text=True)
    assert "data-print" in page and 'src="/static/js/print.js"' in page
    assert "<script>" not in page and "style=" not in page


def launched_campaign(organisation: Organisation, name: str, sent: int, signups: int, attended: int) -> None:
    campaign = make_campaign(organisation, name=name, launched_at=utcnow() - timedelta(days=5))
    for _ in range(sent):
        make_message(organisation, template="campaign", campaign_id=campaign.id, status=MessageStatus.SENT)
    event = held(organisation, registered=0, attended=0)
    for n in range(signups):
        make_registration(event, source=source_tag(campaign), checked_in_at=event.starts_at if n < attended else None)
    make_registration(event, source=source_tag(campaign), status=RegistrationStatus.CANCELLED)


def test_campaign_funnel_shows_sent_signups_and_attended_per_campaign_on_the_page_and_in_the_csv(
    client: FlaskClient
) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.COMMUNICATIONS))
    launched_campaign(organisation, "Voorjaarsmail", sent=5, signups=3, attended=2)
    launched_campaign(make_organisation(), "Andermans mail", sent=4, signups=1, attended=1)

    page = client.get(URL).get_data(as_text=True)

    assert ('<th scope="row">Voorjaarsmail</th><td class="numeric">5</td><td class="numeric">3</td>'
            '<td class="numeric">2</td>') in page
    assert "Andermans mail" not in page
    assert ["Campagne", "Voorjaarsmail", "5", "3", "2"] in csv_rows(client)


def test_campaign_funnel_takes_the_same_number_of_queries_for_few_or_many_campaigns(
    client: FlaskClient, count_queries  # noqa: ANN001
) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.COMMUNICATIONS))
    launched_campaign(organisation, "Eerste", sent=1, signups=1, attended=0)
    with count_queries() as few:
        client.get(URL)
    for n in range(5):
        launched_campaign(organisation, f"Campagne {n}", sent=2, signups=2, attended=1)
    with count_queries() as many:
        client.get(URL)
    assert len(many) == len(few)
