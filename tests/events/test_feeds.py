"""The iCal and JSON feeds of upcoming events for calendars and municipal websites."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask.testing import FlaskClient

from core.timeutils import utcnow
from events.models import Audience, EventStatus
from tests.factories import make_event, make_organisation, make_registration


def test_json_feed_lists_upcoming_public_events_with_seats(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation, title="Phishing herkennen", capacity=3)
    make_registration(event)
    make_event(organisation, status=EventStatus.DRAFT)
    make_event(organisation, starts_at=utcnow() - timedelta(days=2))
    data = client.get("/evenementen.json").get_json()
    assert data["total"] == 1
    (item,) = data["events"]
    assert item["title"] == "Phishing herkennen"
    assert item["places_left"] == 2 and item["availability"] == "open" and item["status"] == "published"
    assert item["organisation"]["slug"] == organisation.slug
    assert item["url"].endswith(f"/evenementen/{event.id}/{event.slug}")
    assert datetime.fromisoformat(item["starts_at"]) == event.starts_at


def test_feeds_take_the_listing_filters(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_event(organisation, audience=Audience.CITIZENS, title="Voor inwoners")
    make_event(organisation, audience=Audience.SMES, title="Voor ondernemers")
    data = client.get("/evenementen.json?doelgroep=smes").get_json()
    assert [item["title"] for item in data["events"]] == ["Voor ondernemers"]
    feed = client.get("/evenementen.ics?doelgroep=smes").get_data(as_text=True)
    assert "SUMMARY:Voor ondernemers" in feed and "Voor inwoners" not in feed


def test_ical_feed_is_a_calendar_with_one_event_per_session(client: FlaskClient) -> None:
    organisation = make_organisation()
    first = make_event(organisation)
    second = make_event(organisation, status=EventStatus.CANCELLED)
    response = client.get("/evenementen.ics")
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 2
    assert f"UID:event-{first.id}@localhost" in body
    assert f"UID:event-{second.id}@localhost" in body and "STATUS:CANCELLED" in body
