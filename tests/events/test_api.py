"""The open API (/api/v1): the events as the OpenAPI document promises, CORS for reading only, rate limited.

schemathesis drives every operation of the served document in-process (WSGI), with valid and invalid
input, and checks each answer against the schema: no server error, documented status codes, content
types and bodies.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from core.timeutils import utcnow
from events.models import Audience, EventKind, EventStatus
from tests.factories import make_event, make_organisation, make_registration


def _seed() -> None:
    organisation = make_organisation(brand_colour="#0b5394")
    make_event(organisation, title="Phishing herkennen", capacity=2)
    make_event(organisation, status=EventStatus.CANCELLED, cancellation_reason="De spreker is ziek.")
    make_event(organisation, venue_name=None, venue_address=None, online_url="https://meet.example.org/x",
               kind=EventKind.WEBINAR, audience=Audience.SMES)


def test_event_carries_description_status_online_flag_and_local_times(client: FlaskClient) -> None:
    organisation = make_organisation(brand_colour="#0b5394")
    event = make_event(organisation, title="Phishing herkennen", capacity=3, description="Met koffie.",
                       starts_at=utcnow().replace(month=1, day=15) + timedelta(days=400))
    make_registration(event)
    data = client.get(f"/api/v1/events/{event.id}").get_json()
    assert data["description"] == "Met koffie." and data["status"] == "published"
    assert data["places_left"] == 2 and data["availability"] == "open" and data["online"] is False
    assert data["starts_at"].endswith("+01:00"), "a January start is shown in Amsterdam winter time"
    assert data["organisation"] == {"name": organisation.name, "slug": organisation.slug, "colour": "#0b5394"}
    assert data["venue"] == {"name": "Stadhuis", "address": "Markt 1, Teststad"}


def test_cancelled_event_has_no_places_left_and_says_why(client: FlaskClient) -> None:
    event = make_event(make_organisation(), status=EventStatus.CANCELLED, cancellation_reason="Ziek.")
    data = client.get(f"/api/v1/events/{event.id}").get_json()
    assert data["status"] == "cancelled" and data["places_left"] is None
    assert data["cancellation_reason"] == "Ziek."


def test_online_event_is_flagged_without_giving_away_the_link(client: FlaskClient) -> None:
    event = make_event(make_organisation(), online_url="https://meet.example.org/geheim", venue_name=None,
                       venue_address=None)
    response = client.get(f"/api/v1/events/{event.id}")
    assert response.get_json()["online"] is True and response.get_json()["venue"] is None
    assert "geheim" not in response.get_data(as_text=True)


def test_listing_takes_the_public_filters_and_pages(client: FlaskClient) -> None:
    organisation = make_organisation()
    other = make_organisation()
    make_event(organisation, audience=Audience.SMES, title="Voor ondernemers")
    make_event(organisation, audience=Audience.EVERYONE, title="Voor iedereen")
    make_event(organisation, audience=Audience.CITIZENS, title="Voor inwoners")
    make_event(other, audience=Audience.SMES, title="Elders")
    make_event(organisation, status=EventStatus.DRAFT, audience=Audience.SMES)
    data = client.get(f"/api/v1/events?audience=smes&organisation={organisation.slug}&per_page=1").get_json()
    assert data["total"] == 2 and data["per_page"] == 1 and len(data["events"]) == 1
    second = client.get(f"/api/v1/events?audience=smes&organisation={organisation.slug}&per_page=1&page=2")
    titles = {data["events"][0]["title"], second.get_json()["events"][0]["title"]}
    assert titles == {"Voor ondernemers", "Voor iedereen"}


@pytest.mark.parametrize("query", ["audience=pubers", "page=0", "per_page=101", "page=abc", "kind=a&kind=b",
                                   "page=%EF%BC%91"])
def test_bad_parameters_are_a_dutch_problem_not_a_page(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 400 and response.get_json()["detail"]


def test_unknown_or_draft_event_is_a_404_problem(client: FlaskClient) -> None:
    draft = make_event(make_organisation(), status=EventStatus.DRAFT)
    for path in (f"/api/v1/events/{draft.id}", "/api/v1/events/999999", "/api/v1/events/99999999999"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_cors_lets_any_site_read_but_not_write_or_send_credentials(client: FlaskClient) -> None:
    response = client.get("/api/v1/events", headers={"Origin": "https://www.gemeente.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers
    preflight = client.options("/api/v1/events", headers={"Origin": "https://www.gemeente.example",
                                                          "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert client.post("/api/v1/events").status_code == 405
    assert "Access-Control-Allow-Origin" not in client.get("/").headers, "CORS is on the API only"


def test_api_is_rate_limited_per_client(app_with: Callable[..., Flask]) -> None:
    client = app_with(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute").test_client()
    codes = [client.get("/api/v1/events").status_code for _attempt in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/events")
    assert limited.mimetype == "application/problem+json" and int(limited.headers["Retry-After"]) > 0
    assert limited.headers["Access-Control-Allow-Origin"] == "*", "a site's script can read the 429"
    other = client.get("/api/v1/events", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200


def test_json_feed_is_an_alias_of_the_api_shape(client: FlaskClient) -> None:
    event = make_event(make_organisation(), status=EventStatus.CANCELLED)
    (item,) = client.get("/evenementen.json").get_json()["events"]
    assert item == client.get(f"/api/v1/events/{event.id}").get_json()
    assert item["places_left"] is None and "seats_left" not in item


def test_served_document_is_openapi_3_1(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/events", "/events/{event_id}", "/organisations"}


@pytest.fixture
def api_schema(app: Flask) -> schemathesis.BaseSchema:
    _seed()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


EXTRA_CHECKS = [checks.negative_data_rejection, checks.positive_data_acceptance, checks.unsupported_method,
                checks.missing_required_header]


# schemathesis's own pytest fixture loader does not run under pytest 9: the operations are walked here.
@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_schemathesis_finds_no_failure(api_schema: schemathesis.BaseSchema,
                                       mode: schemathesis.GenerationMode) -> None:
    """Every operation in the served document, with valid and with invalid input, all checks on each answer."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 3
    for operation in operations:
        if mode == schemathesis.GenerationMode.NEGATIVE and not operation.path_parameters and not operation.query:
            continue  # nothing to make invalid
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(additional_checks=EXTRA_CHECKS)

        check()
