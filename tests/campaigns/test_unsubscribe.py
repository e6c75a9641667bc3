"""Unsubscribing: RFC 8058 one-click POST, the no-JavaScript page, idempotence, preferences."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from campaigns import tokens
from campaigns.models import Contact, ContactStatus, Topic
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from tests.campaigns.helpers import path_of
from tests.factories import confirm_and_send, login, make_campaign, make_contact, make_organisation, make_user


def refreshed(contact: Contact) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, contact.id)


def test_one_click_post_unsubscribes_without_login_or_csrf(client: FlaskClient) -> None:
    contact = make_contact(make_organisation())
    response = client.post(path_of(tokens.unsubscribe_url(contact.id)), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert refreshed(contact).status == ContactStatus.UNSUBSCRIBED


def test_one_click_post_is_exempt_from_csrf_when_csrf_is_on(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    contact = make_contact(make_organisation())
    response = client.post(path_of(tokens.unsubscribe_url(contact.id)), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and refreshed(contact).status == ContactStatus.UNSUBSCRIBED


def test_the_visible_link_shows_a_page_with_a_button_that_works_without_javascript(client: FlaskClient) -> None:
    contact = make_contact(make_organisation())
    path = path_of(tokens.unsubscribe_url(contact.id))
    page = client.get(path).get_data(as_text=True)
    assert refreshed(contact).status == ContactStatus.SUBSCRIBED  # a GET changes nothing
    assert re.search(r'<form method="post">', page) and "<script" not in page.split("</main>")[0]
    assert client.post(path).status_code == 200
    assert "is afgemeld" in client.get(path).get_data(as_text=True)


def test_unsubscribing_twice_is_fine_and_counts_once(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    contact = make_contact(organisation)
    path = path_of(tokens.unsubscribe_url(contact.id, campaign.id))
    assert client.post(path).status_code == 200
    first_moment = refreshed(contact).unsubscribed_at
    assert client.post(path).status_code == 200
    assert refreshed(contact).unsubscribed_at == first_moment
    assert refreshed(contact).unsubscribed_campaign_id == campaign.id


def test_tampered_unsubscribe_token_is_a_404(client: FlaskClient) -> None:
    contact = make_contact(make_organisation())
    path = path_of(tokens.unsubscribe_url(contact.id))
    assert client.post(path[:-3] + "xyz").status_code == 404
    other_purpose = tokens.make_token(tokens.PREFERENCES_SALT, {"c": contact.id})
    assert client.post(f"/nieuwsbrief/afmelden/{other_purpose}").status_code == 404
    assert refreshed(contact).status == ContactStatus.SUBSCRIBED


def test_unsubscribing_cancels_campaign_mail_still_queued(client: FlaskClient) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation)
    user = make_user(organisation, Role.COMMUNICATIONS)
    campaign = make_campaign(organisation)
    login(client, user)
    assert confirm_and_send(client, campaign).status_code == 302
    client.post(path_of(tokens.unsubscribe_url(contact.id, campaign.id)))
    (row,) = db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id))
    db.session.refresh(row)
    assert row.status == MessageStatus.CANCELLED


def test_preferences_page_changes_topics(client: FlaskClient) -> None:
    contact = make_contact(make_organisation())
    path = path_of(tokens.preferences_url(contact.id))
    assert client.get(path).status_code == 200
    response = client.post(path, data={"audience": "sme", "municipality": "Dorp", "topics": ["business", "events"]})
    assert response.status_code == 200 and "opgeslagen" in response.get_data(as_text=True)
    changed = refreshed(contact)
    assert changed.audience.value == "sme" and changed.municipality == "Dorp"
    assert changed.topic_values == sorted([Topic.BUSINESS, Topic.EVENTS])


def test_preferences_refuse_bad_choices_and_change_nothing(client: FlaskClient) -> None:
    contact = make_contact(make_organisation(), municipality="Stad")
    response = client.post(path_of(tokens.preferences_url(contact.id)), data={"audience": "sme", "topics": ["nope"],
                                                                              "municipality": "Dorp"})
    assert response.status_code == 400
    assert refreshed(contact).municipality == "Stad"


def test_preferences_of_an_unsubscribed_contact_offer_to_subscribe_again(client: FlaskClient) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation, status=ContactStatus.UNSUBSCRIBED)
    path = path_of(tokens.preferences_url(contact.id))
    assert f"/nieuwsbrief/{organisation.slug}" in client.get(path).get_data(as_text=True)
    assert client.post(path, data={"audience": "sme"}).status_code == 409
