"""The public listing and detail pages run a constant number of SQL statements."""
from __future__ import annotations

from flask.testing import FlaskClient

from events.models import Question, QuestionKind
from extensions import db
from tests.factories import make_event, make_organisation, make_registration, signup_url
from tests.querycount import count_queries


def _populate(events: int, registrations_each: int) -> list:
    organisations = [make_organisation() for _ in range(3)]
    made = []
    for n in range(events):
        event = make_event(organisations[n % 3], capacity=registrations_each + 1)
        db.session.add(Question(event=event, label="Functie", kind=QuestionKind.SHORT_TEXT))
        for _ in range(registrations_each):
            make_registration(event)
        made.append(event)
    db.session.commit()
    return made


def _statements(client: FlaskClient, url: str) -> int:
    db.session.expunge_all()  # nothing cached in the identity map helps the page
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_listing_query_count_does_not_grow_with_events_or_registrations(client: FlaskClient) -> None:
    _populate(events=2, registrations_each=1)
    few = _statements(client, "/")
    _populate(events=15, registrations_each=4)
    many = _statements(client, "/")
    assert few == many
    assert many <= 5


def test_detail_query_count_does_not_grow_with_registrations_or_questions(client: FlaskClient) -> None:
    (small,) = _populate(events=1, registrations_each=1)
    (large,) = _populate(events=1, registrations_each=30)
    for _ in range(5):
        db.session.add(Question(event=large, label="Extra vraag", kind=QuestionKind.CHECKBOX))
    db.session.commit()
    small_url, large_url = signup_url(small), signup_url(large)
    assert _statements(client, small_url) == _statements(client, large_url)
