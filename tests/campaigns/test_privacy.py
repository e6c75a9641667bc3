"""Contacts under the AVG duties: the retention purge, the subject access export and erasure."""
from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation
from campaigns.models import ConsentRecord, ConsentSource, Contact, ContactStatus, ContactTag, ContactTopic, Topic
from core.privacy import ANONYMOUS_DOMAIN, ANONYMOUS_NAME
from core.timeutils import utcnow
from extensions import db
from mailing.models import OutgoingMessage
from tests.factories import login, make_campaign, make_contact, make_contact_list, make_message, make_organisation, make_user

PERSON = "lezer@example.org"


def contact_with_everything(organisation: Organisation, **fields: object) -> Contact:
    """A contact on a list, with a topic, a consent record with IP and a campaign mail."""
    contact = make_contact(organisation, email=PERSON, name="Lotte Lezer", municipality="Alfadorp",
                           lists=[make_contact_list(organisation, name="Nieuwsbrief")], **fields)
    contact.topics = [ContactTopic(topic=list(Topic)[0])]
    contact.tags = [ContactTag(organisation_id=organisation.id, name="Pilot")]
    contact.consents = [ConsentRecord(text_version="v1", source=ConsentSource(list(ConsentSource)[0]),
                                      ip_address="192.0.2.7")]
    make_message(organisation, template="campaign", to_address=PERSON, to_name="Lotte Lezer",
                 campaign_id=make_campaign(organisation).id, contact_id=contact.id)
    db.session.commit()
    return contact


def fresh(contact_id: int) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, contact_id)


def assert_anonymised(contact_id: int) -> None:
    contact = fresh(contact_id)
    assert (contact.name, contact.municipality, contact.topics, contact.lists, contact.tags) == (
        ANONYMOUS_NAME, None, [], [], [])
    assert contact.email.endswith(ANONYMOUS_DOMAIN)
    assert [(c.text_version, c.ip_address) for c in contact.consents] == [("v1", None)]
    [mail] = db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.contact_id == contact_id))
    assert PERSON not in mail.to_address and "Lotte" not in (mail.to_name or "") + mail.text_body


def test_export_holds_the_contact_with_consents_lists_and_topics(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    contact_with_everything(organisation)
    login(client, make_user(organisation))

    response = client.post("/beheer/privacy/export", data={"email": PERSON, "organisation_id": organisation.id})

    [contact] = json.loads(response.get_data(as_text=True))["data"]["contacts"]
    assert (contact["name"], contact["municipality"], contact["lists"], contact["tags"]) == (
        "Lotte Lezer", "Alfadorp", ["Nieuwsbrief"], ["Pilot"])
    assert [c["ip_address"] for c in contact["consents"]] == ["192.0.2.7"] and len(contact["topics"]) == 1


def test_erasure_anonymises_the_contact_its_consents_ip_and_its_campaign_mail(app: Flask, client: FlaskClient) -> None:
    organisation, other = make_organisation(), make_organisation()
    contact = contact_with_everything(organisation)
    elsewhere = make_contact(other, email=PERSON)
    login(client, make_user(organisation))

    response = client.post("/beheer/privacy/wissen", data={
        "wissen-email": PERSON, "wissen-organisation_id": organisation.id, "wissen-confirm": "y"})

    assert response.status_code == 302
    assert_anonymised(contact.id)
    assert fresh(contact.id).status == ContactStatus.UNSUBSCRIBED  # no campaign goes to the placeholder
    assert fresh(elsewhere.id).email == PERSON and fresh(elsewhere.id).status == ContactStatus.SUBSCRIBED


def test_purge_anonymises_contacts_unsubscribed_or_bounced_before_the_retention_period(app: Flask) -> None:
    organisation = make_organisation()
    long_ago = utcnow() - timedelta(days=organisation.retention_days + 1)
    old = contact_with_everything(organisation, status=ContactStatus.UNSUBSCRIBED, unsubscribed_at=long_ago)
    bounced = make_contact(organisation, status=ContactStatus.BOUNCED, bounced_at=long_ago)
    recent = make_contact(organisation, status=ContactStatus.UNSUBSCRIBED, unsubscribed_at=utcnow())
    subscribed = make_contact(organisation)

    result = app.test_cli_runner().invoke(args=["privacy", "purge"])

    assert result.exit_code == 0, result.output
    assert_anonymised(old.id)
    assert fresh(bounced.id).email.endswith(ANONYMOUS_DOMAIN)
    assert not fresh(recent.id).email.endswith(ANONYMOUS_DOMAIN)
    assert not fresh(subscribed.id).email.endswith(ANONYMOUS_DOMAIN)
    assert fresh(old.id).status == ContactStatus.UNSUBSCRIBED
