"""Audiences: lists, audience type, municipality, topic and event history; the live count."""
from __future__ import annotations

from flask.testing import FlaskClient

from accounts.models import Role
from campaigns.models import Campaign, ContactAudience, ContactStatus, ContactTopic, Topic
from core.timeutils import utcnow
from events.models import RegistrationStatus
from extensions import db
from tests.campaigns.helpers import form_of
from tests.factories import (
    confirm_and_send,
    login,
    make_campaign,
    make_contact,
    make_contact_list,
    make_event,
    make_organisation,
    make_registration,
    make_user,
    outbox,
)


def count(client: FlaskClient, campaign: Campaign, **audience: object) -> int:
    response = client.get(f"/beheer/campagnes/{campaign.id}/ontvangers.json", query_string=audience)
    assert response.status_code == 200
    return response.get_json()["count"]


def setup(client: FlaskClient) -> tuple[object, Campaign]:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.COMMUNICATIONS))
    return organisation, make_campaign(organisation)


def test_only_subscribed_contacts_count(client: FlaskClient) -> None:
    organisation, campaign = setup(client)
    make_contact(organisation)
    for status in set(ContactStatus) - {ContactStatus.SUBSCRIBED}:
        make_contact(organisation, status=status)
    make_contact(make_organisation())
    assert count(client, campaign) == 1


def test_segments_by_list_audience_municipality_and_topic(client: FlaskClient) -> None:
    organisation, campaign = setup(client)
    newsletter = make_contact_list(organisation)
    make_contact(organisation, lists=[newsletter], municipality="Teststad")
    make_contact(organisation, audience=ContactAudience.SME, municipality="teststad")
    reader = make_contact(organisation, municipality="Dorp")
    db.session.add(ContactTopic(contact_id=reader.id, topic=Topic.PHISHING))
    db.session.commit()
    assert count(client, campaign, list_id=newsletter.id) == 1
    assert count(client, campaign, audience_type="sme") == 1
    assert count(client, campaign, municipality="TESTSTAD") == 2
    assert count(client, campaign, topic="phishing") == 1
    assert count(client, campaign, audience_type="citizen", municipality="Teststad", list_id=newsletter.id) == 1


def test_segments_by_event_history(client: FlaskClient) -> None:
    organisation, campaign = setup(client)
    event = make_event(organisation)
    came = make_contact(organisation, email="kwam@example.org")
    stayed_away = make_contact(organisation, email="niet@example.org")
    make_contact(organisation, email="nooit@example.org")
    make_contact(organisation, email="afgezegd@example.org")
    make_registration(event, email=came.email, checked_in_at=utcnow())
    make_registration(event, email=stayed_away.email)
    make_registration(event, email="afgezegd@example.org", status=RegistrationStatus.CANCELLED)
    assert count(client, campaign, event_id=event.id, event_relation="registered") == 2
    assert count(client, campaign, event_id=event.id, event_relation="attended") == 1
    assert count(client, campaign, event_id=event.id, event_relation="absent") == 1


def test_count_button_works_without_javascript_and_saves_nothing(client: FlaskClient) -> None:
    organisation, campaign = setup(client)
    make_contact(organisation, audience=ContactAudience.SME)
    make_contact(organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken",
                           data=form_of(campaign, audience_type="sme", actie="tel", subject="Niet bewaard"))
    assert response.status_code == 200 and "1 ontvanger met deze keuzes" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).audience_type is None


def test_saved_audience_decides_who_gets_the_campaign(client: FlaskClient) -> None:
    organisation, campaign = setup(client)
    make_contact(organisation, audience=ContactAudience.SME, email="ondernemer@example.org")
    make_contact(organisation, email="inwoner@example.org")
    assert client.post(f"/beheer/campagnes/{campaign.id}/bewerken",
                       data=form_of(campaign, audience_type="sme")).status_code == 302
    confirm_and_send(client, campaign)
    assert [row.to_address for row in outbox("campaign")] == ["ondernemer@example.org"]


def test_event_without_relation_is_refused(client: FlaskClient) -> None:
    organisation, campaign = setup(client)
    event = make_event(organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=form_of(campaign, event_id=str(event.id)))
    assert response.status_code == 400 and "Kies zowel de bijeenkomst" in response.get_data(as_text=True)


def test_list_of_another_organisation_cannot_be_chosen(client: FlaskClient) -> None:
    organisation, campaign = setup(client)
    foreign = make_contact_list(make_organisation())
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=form_of(campaign, list_id=str(foreign.id)))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).list_id is None
