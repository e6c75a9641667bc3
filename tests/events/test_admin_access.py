"""Who may use the events admin: organisers and admins of the event's organisation, regional admins."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import current_app, url_for
from flask.testing import FlaskClient

from accounts.models import Role
from events.models import Event, EventStatus, Registration, RegistrationStatus
from extensions import db
from tests.factories import (
    admin_url,
    login,
    make_event,
    make_organisation,
    make_question,
    make_registration,
    make_user,
    outbox,
)


def event_urls(event: Event) -> list[tuple[str, str]]:
    """Every (method, URL) of the events admin that names an event, read from the URL map.

    A route added later is walked too, without anyone having to list it here.
    """
    ids = {"event_id": event.id, "question_id": make_question(event).id,
           "registration_id": make_registration(event).id}
    urls = []
    with current_app.test_request_context():
        for rule in current_app.url_map.iter_rules():
            if rule.endpoint.startswith("events_admin.") and "event_id" in rule.arguments:
                url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
                urls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(urls) >= 20
    return urls


@pytest.mark.parametrize("role", [Role.COMMUNICATIONS, Role.CHECKIN])
def test_roles_without_manage_events_get_403(client: FlaskClient, role: Role) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    login(client, make_user(organisation, role))
    assert client.get("/beheer/evenementen/").status_code == 403
    assert client.get("/beheer/evenementen/nieuw").status_code == 403
    for method, url in event_urls(event):
        assert client.open(url, method=method).status_code == 403, (method, url)


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.ADMIN])
def test_organiser_and_admin_may_use_every_page(client: FlaskClient, role: Role) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    login(client, make_user(organisation, role))
    assert client.get("/beheer/evenementen/").status_code == 200
    assert client.get("/beheer/evenementen/nieuw").status_code == 200
    for method, url in event_urls(event):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_user_of_another_organisation_gets_404_on_every_event_url_and_changes_nothing(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=3)
    login(client, make_user(make_organisation(), Role.ADMIN))
    urls = event_urls(event)
    for method, url in urls:
        data = {"richting": "omhoog", "title": "Gekaapt", "capacity": "0", "name": "X", "email": "x@example.org"}
        assert client.open(url, method=method, data=data).status_code == 404, (method, url)
    db.session.expire_all()
    assert event.status == EventStatus.PUBLISHED and event.title != "Gekaapt"
    assert len(event.questions) == 1
    assert list(db.session.scalars(sa.select(Registration.status))) == [RegistrationStatus.CONFIRMED]
    assert outbox() == []


def test_anonymous_visitor_is_sent_to_the_login_page(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    for method, url in [("GET", "/beheer/evenementen/"), *event_urls(event)]:
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/beheer/inloggen" in response.headers["Location"], url


def test_regional_admin_sees_events_of_every_organisation(client: FlaskClient) -> None:
    first = make_event(make_organisation(), title="Phishing in Zeist")
    second = make_event(make_organisation(), title="Wachtwoorden in Utrecht")
    login(client, make_user(None, None, regional_admin=True))
    page = client.get("/beheer/evenementen/").get_data(as_text=True)
    assert "Phishing in Zeist" in page and "Wachtwoorden in Utrecht" in page
    assert client.get(admin_url(first)).status_code == 200
    assert client.get(admin_url(second, "aanmeldingen")).status_code == 200


def test_organiser_sees_only_the_events_of_own_organisation(client: FlaskClient) -> None:
    own = make_organisation()
    make_event(own, title="Eigen bijeenkomst")
    make_event(make_organisation(), title="Andermans bijeenkomst")
    login(client, make_user(own, Role.ORGANISER))
    page = client.get("/beheer/evenementen/").get_data(as_text=True)
    assert "Eigen bijeenkomst" in page and "Andermans bijeenkomst" not in page


@pytest.mark.parametrize("path", [
    "/beheer/evenementen/99999999999999999999/bewerken",
    "/beheer/evenementen/1/vragen/99999999999999999999/bewerken",
    "/beheer/evenementen/1/aanmeldingen/99999999999999999999/annuleren",
    "/beheer/evenementen/?pagina=99999999999999999999",
    "/beheer/evenementen/1/aanmeldingen?pagina=99999999999999999999",
])
def test_out_of_range_numbers_in_the_url_are_404_not_500(client: FlaskClient, path: str) -> None:
    organisation = make_organisation()
    make_event(organisation)
    login(client, make_user(organisation, Role.ORGANISER))
    assert client.get(path).status_code == 404


def test_filtering_on_an_organisation_the_user_may_not_manage_shows_own_events(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_event(organisation, title="Eigen bijeenkomst")
    other = make_organisation()
    make_event(other, title="Andermans bijeenkomst")
    login(client, make_user(organisation, Role.ORGANISER))
    for value in (str(other.id), "99999999999999999999", "zeist"):
        page = client.get(f"/beheer/evenementen/?organisatie={value}").get_data(as_text=True)
        assert "Eigen bijeenkomst" in page and "Andermans bijeenkomst" not in page
