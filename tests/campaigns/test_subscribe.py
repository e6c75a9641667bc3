"""Subscribing with double opt-in: the confirmation link, consent records, no enumeration."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from campaigns.models import ConsentRecord, ConsentSource, Contact, ContactAudience, ContactStatus, Topic
from extensions import db
from tests.conftest import _empty_tables
from tests.factories import as_sent, make_contact, make_event, make_organisation, outbox, signup_url

FORM = {"email": "Anna@Example.org", "name": "Anna", "audience": "citizen", "municipality": "Teststad",
        "topics": ["phishing", "fraud"], "consent": "y"}


def confirm_path(row: object) -> str:
    return re.search(r'href="http://localhost(/nieuwsbrief/bevestigen/[^"]+)"', as_sent(row).html).group(1)


def contact(email: str = "anna@example.org") -> Contact:
    db.session.expire_all()
    return db.session.scalar(sa.select(Contact).where(Contact.email == email))


def test_subscribing_mails_a_confirmation_and_subscribes_nothing_yet(client: FlaskClient) -> None:
    organisation = make_organisation()
    response = client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM)
    assert response.status_code == 302 and response.location.endswith("/controleer-uw-mail")
    (row,) = outbox("confirm_subscription")
    assert row.to_address == "anna@example.org" and row.organisation_id == organisation.id
    assert contact().status == ContactStatus.UNCONFIRMED
    assert contact().topic_values == [] and contact().consents == []


def test_confirming_subscribes_with_the_choices_and_records_the_consent(client: FlaskClient) -> None:
    organisation = make_organisation()
    client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    path = confirm_path(outbox("confirm_subscription")[0])
    assert client.get(path).status_code == 200  # a page with a button: link scanners only GET
    assert contact().status == ContactStatus.UNCONFIRMED
    response = client.post(path)
    assert response.status_code == 200 and "Aanmelding bevestigd" in response.get_data(as_text=True)
    subscribed = contact()
    assert subscribed.status == ContactStatus.SUBSCRIBED and subscribed.confirmed_at is not None
    assert subscribed.audience == ContactAudience.CITIZEN and subscribed.municipality == "Teststad"
    assert sorted(subscribed.topic_values) == sorted([Topic.PHISHING, Topic.FRAUD])
    (record,) = subscribed.consents
    assert record.source == ConsentSource.SUBSCRIBE_FORM and record.ip_address == "192.0.2.7"
    assert record.text_version == "2026-11-v1"


def test_confirm_link_works_once(client: FlaskClient) -> None:
    organisation = make_organisation()
    client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM)
    path = confirm_path(outbox("confirm_subscription")[0])
    assert client.post(path).status_code == 200
    again = client.post(path)
    assert again.status_code == 410 and "al gebruikt" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 1


def test_expired_confirm_link_is_refused(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM)
    app.config["CONTACT_CONFIRM_MAX_AGE_SECONDS"] = -1
    response = client.post(confirm_path(outbox("confirm_subscription")[0]))
    assert response.status_code == 410 and "verlopen" in response.get_data(as_text=True)
    assert contact().status == ContactStatus.UNCONFIRMED


@pytest.mark.parametrize("tamper", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "x" + t,
                                    lambda t: "rommel"])
def test_tampered_confirm_link_is_a_404(client: FlaskClient, tamper: object) -> None:
    organisation = make_organisation()
    client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM)
    path = confirm_path(outbox("confirm_subscription")[0])
    token = path.rsplit("/", 1)[1]
    response = client.post(f"/nieuwsbrief/bevestigen/{tamper(token)}")
    assert response.status_code == 404 and "klopt niet" in response.get_data(as_text=True)
    assert contact().status == ContactStatus.UNCONFIRMED


def test_a_newer_request_replaces_the_older_link(client: FlaskClient) -> None:
    organisation = make_organisation()
    client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM)
    client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM)
    first, second = outbox("confirm_subscription")
    assert client.post(confirm_path(first)).status_code == 410
    assert client.post(confirm_path(second)).status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="bekend@example.org")
    known = client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM | {"email": "bekend@example.org"})
    unknown = client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM | {"email": "nieuw@example.org"})
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert client.get(known.location).get_data() == client.get(unknown.location).get_data()
    assert contact("bekend@example.org").status == ContactStatus.SUBSCRIBED  # a stranger changes nothing


def test_resubscribing_after_unsubscribe_needs_the_new_confirmation(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="anna@example.org", status=ContactStatus.UNSUBSCRIBED)
    client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM)
    assert contact().status == ContactStatus.UNSUBSCRIBED
    client.post(confirm_path(outbox("confirm_subscription")[0]))
    assert contact().status == ContactStatus.SUBSCRIBED


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "geen-adres", "geen geldig e-mailadres"),
    ("email", "anna@example.org\nBcc: x@example.org", "geen geldig e-mailadres"),
    ("audience", "", "inwoner of ondernemer"),
    ("audience", "hacker", "aangeboden"),
    ("topics", "onzin", "aangeboden"),
    ("consent", "", "toestemming"),
])
def test_invalid_subscription_is_refused_with_a_message(client: FlaskClient, field: str, value: str,
                                                        message: str) -> None:
    organisation = make_organisation()
    response = client.post(f"/nieuwsbrief/{organisation.slug}", data=FORM | {field: value})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert outbox() == [] and db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_subscribe_page_of_an_unknown_organisation_is_a_404(client: FlaskClient) -> None:
    assert client.get("/nieuwsbrief/bestaat-niet").status_code == 404


def test_subscribe_form_is_rate_limited(database_url: str, schema: None) -> None:
    limited = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                                     "SIGNUP_RATE_LIMIT": "2 per minute"})
    client = limited.test_client()
    with limited.app_context():
        organisation = make_organisation()
        slug = organisation.slug
    try:
        codes = [client.post(f"/nieuwsbrief/{slug}", data=FORM).status_code for _ in range(3)]
    finally:
        with limited.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
    assert codes == [302, 302, 429]


def test_keep_informed_on_event_signup_starts_the_double_opt_in(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    client.post(signup_url(event), data={"name": "Bea", "email": "bea@example.org", "keep_informed": "y"})
    (row,) = outbox("confirm_subscription")
    assert contact("bea@example.org").status == ContactStatus.UNCONFIRMED
    client.post(confirm_path(row))
    subscribed = contact("bea@example.org")
    assert subscribed.status == ContactStatus.SUBSCRIBED and subscribed.name == "Bea"
    assert subscribed.consents[0].source == ConsentSource.EVENT_SIGNUP


def test_event_signup_without_keep_informed_creates_no_contact(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    client.post(signup_url(event), data={"name": "Bea", "email": "bea@example.org"})
    assert outbox("confirm_subscription") == [] and contact("bea@example.org") is None
