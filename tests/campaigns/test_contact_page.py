"""The admin page of one contact: what it shows, editing, unsubscribe by the admin, resending the
confirmation, erasure; another organisation sees none of it."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Role
from campaigns.models import (
    ConsentRecord,
    ConsentSource,
    Contact,
    ContactAudience,
    ContactStatus,
    ContactTag,
    ContactTopic,
    Topic,
)
from core.audit import AuditEntry
from core.privacy import ANONYMOUS_DOMAIN
from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageKind, MessageStatus
from tests.campaigns.helpers import signed_in
from tests.factories import (
    as_sent,
    confirm_and_send,
    login,
    make_campaign,
    make_contact,
    make_contact_list,
    make_event,
    make_message,
    make_organisation,
    make_registration,
    make_user,
    outbox,
)

PERSON = "lotte@example.org"


def page_of(contact: Contact) -> str:
    return f"/beheer/contacten/{contact.id}"


def fresh(contact: Contact) -> Contact:
    db.session.expire_all()
    return db.session.get(Contact, contact.id)


def make_tag(organisation: object, name: str) -> ContactTag:
    tag = ContactTag(organisation_id=organisation.id, name=name)
    db.session.add(tag)
    db.session.commit()
    return tag


def edit_form(**changes: object) -> dict[str, object]:
    return {"name": "Lotte", "audience": "citizen", "municipality": "Alfadorp", "topics": [], "list_ids": [],
            "tag_ids": []} | changes


def audit_actions(contact: Contact) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.record_type == "contact", AuditEntry.record_id == contact.id).order_by(AuditEntry.id)))


def test_the_page_shows_status_consents_campaigns_and_registrations_and_is_audited(client: FlaskClient) -> None:
    organisation = make_organisation()
    newsletter = make_contact_list(organisation, name="Nieuwsbrief")
    contact = make_contact(organisation, email=PERSON, name="Lotte Lezer", municipality="Alfadorp",
                           lists=[newsletter], confirmed_at=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))
    contact.topics = [ContactTopic(topic=Topic.PHISHING)]
    contact.tags = [make_tag(organisation, "Pilot Noord")]
    contact.consents = [ConsentRecord(text_version="2026-11-v1", source=ConsentSource.EVENT_SIGNUP,
                                      ip_address="192.0.2.7", given_at=datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))]
    db.session.commit()
    sent = make_campaign(organisation, name="Voorjaarsmail")
    make_message(organisation, kind=MessageKind.CAMPAIGN, template="campaign", to_address=PERSON, campaign_id=sent.id,
                 contact_id=contact.id, status=MessageStatus.SENT, sent_at=datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc))
    queued = make_campaign(organisation, name="Zomermail")
    make_message(organisation, kind=MessageKind.CAMPAIGN, template="campaign", to_address=PERSON,
                 campaign_id=queued.id, contact_id=contact.id)
    workshop = make_event(organisation, title="Workshop wachtwoorden")
    make_registration(workshop, email=PERSON, checked_in_at=utcnow())
    make_registration(make_event(make_organisation(), title="Bijeenkomst elders"), email=PERSON)
    signed_in(client, organisation)

    response = client.get(page_of(contact))

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in (PERSON, "Lotte Lezer", "Alfadorp", "Aangemeld", "2 mrt 2026, 10:30", "Phishing en nepberichten",
                  "Nieuwsbrief", "Pilot Noord", "2026-11-v1", "Aanmelding voor een bijeenkomst", "192.0.2.7",
                  "Voorjaarsmail", "1 apr 2026, 10:00", "Zomermail", "In de wachtrij", "Workshop wachtwoorden"):
        assert shown in text, shown
    assert "Bijeenkomst elders" not in text
    assert "de toestemming hoort bij dit adres" in text and 'name="email"' not in text
    assert audit_actions(contact) == ["contact.viewed"]


def test_the_page_names_the_campaign_someone_unsubscribed_through(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, name="Herfstmail")
    contact = make_contact(organisation, status=ContactStatus.UNSUBSCRIBED, unsubscribed_at=utcnow(),
                           unsubscribed_campaign_id=campaign.id)
    signed_in(client, organisation)
    text = client.get(page_of(contact)).get_data(as_text=True)
    assert "via de campagne" in text and f'href="/beheer/campagnes/{campaign.id}">Herfstmail' in text


def test_editing_changes_name_audience_municipality_topics_lists_and_tags_but_never_the_address(
        client: FlaskClient) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation, email=PERSON, status=ContactStatus.UNCONFIRMED, confirmed_at=None)
    newsletter, pilot = make_contact_list(organisation), make_tag(organisation, "pilot")
    signed_in(client, organisation)

    response = client.post(page_of(contact), data=edit_form(
        name="  Lotte   de Lezer ", audience="sme", municipality="Betadorp", topics=["fraud", "business"],
        list_ids=[str(newsletter.id)], tag_ids=[str(pilot.id)], email="ander@example.org"))

    assert response.status_code == 302
    changed = fresh(contact)
    assert (changed.name, changed.audience, changed.municipality) == ("Lotte de Lezer", ContactAudience.SME, "Betadorp")
    assert sorted(changed.topic_values) == [Topic.BUSINESS, Topic.FRAUD]
    assert [c.id for c in changed.lists] == [newsletter.id] and [t.id for t in changed.tags] == [pilot.id]
    assert changed.email == PERSON and changed.status == ContactStatus.UNCONFIRMED  # an edit never subscribes
    assert client.post(page_of(contact), data=edit_form(audience="")).status_code == 302
    cleared = fresh(contact)
    assert (cleared.audience, cleared.topic_values, cleared.lists, cleared.tags) == (None, [], [], [])
    assert audit_actions(contact) == ["contact.updated", "contact.updated"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "x" * 201}, "200"),
    ({"municipality": "y" * 101}, "100"),
    ({"audience": "hacker"}, ""),
    ({"topics": ["onzin"]}, "aangeboden"),
    ({"list_ids": ["foreign-list"]}, "aangeboden"),
    ({"tag_ids": ["foreign-tag"]}, "aangeboden"),
    ({"tag_ids": ["abc"]}, ""),
    ({"list_ids": ["99999999999999999999"]}, ""),
])
def test_bad_edits_are_refused_with_a_400_and_change_nothing(client: FlaskClient, changes: dict[str, object],
                                                             message: str) -> None:
    organisation, other = make_organisation(), make_organisation()
    contact = make_contact(organisation, name="Lotte")
    foreign = {"foreign-list": str(make_contact_list(other).id), "foreign-tag": str(make_tag(other, "elders").id)}
    changes = {key: [foreign.get(v, v) for v in value] if isinstance(value, list) else value
               for key, value in changes.items()}
    signed_in(client, organisation)
    response = client.post(page_of(contact), data=edit_form(**changes))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    unchanged = fresh(contact)
    assert (unchanged.name, unchanged.lists, unchanged.tags) == ("Lotte", [], [])


def test_admin_unsubscribe_is_recorded_and_the_next_campaign_skips_them(client: FlaskClient) -> None:
    organisation = make_organisation()
    leaving = make_contact(organisation, email=PERSON)
    make_contact(organisation, email="blijft@example.org")
    campaign = make_campaign(organisation)
    signed_in(client, organisation)

    assert client.post(f"{page_of(leaving)}/afmelden").status_code == 302

    gone = fresh(leaving)
    assert gone.status == ContactStatus.UNSUBSCRIBED and gone.unsubscribed_at is not None
    assert gone.unsubscribed_campaign_id is None
    again = client.post(f"{page_of(leaving)}/afmelden")
    assert again.status_code == 409 and "al geen campagnes" in again.get_data(as_text=True)
    assert confirm_and_send(client, campaign).status_code == 302
    assert [row.to_address for row in outbox("campaign")] == ["blijft@example.org"]
    assert audit_actions(leaving) == ["contact.unsubscribed"]


def test_there_is_no_way_for_an_admin_to_subscribe_a_contact(client: FlaskClient) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation, status=ContactStatus.UNCONFIRMED, confirmed_at=None)
    signed_in(client, organisation)
    page = client.get(page_of(contact)).get_data(as_text=True)
    actions = set(re.findall(r'action="/beheer/contacten/\d+/([^"]+)"', page))
    assert actions == {"afmelden"}  # no open request: nothing to resend, and nothing that subscribes
    client.post(page_of(contact), data=edit_form(status="subscribed"))
    assert fresh(contact).status == ContactStatus.UNCONFIRMED


def test_resending_gives_a_new_link_with_the_stored_choices_that_records_who_sent_it(client: FlaskClient) -> None:
    organisation = make_organisation()
    client.post(f"/nieuwsbrief/{organisation.slug}", data={
        "email": PERSON, "name": "Lotte", "audience": "citizen", "topics": ["phishing"], "consent": "y"})
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == PERSON))
    assert contact.topic_values == []  # the choices of a request travel inside its link only
    signed_in(client, organisation)
    assert "bevestigingsmail" in client.get(page_of(contact)).get_data(as_text=True)
    client.post(page_of(contact), data=edit_form(topics=["phishing"]))  # what the new link carries

    assert client.post(f"{page_of(contact)}/bevestigingsmail").status_code == 302

    first, second = outbox("confirm_subscription")
    assert second.to_address == PERSON
    link = re.compile(r'href="http://localhost(/nieuwsbrief/bevestigen/[^"]+)"')
    assert client.post(link.search(as_sent(first).html).group(1)).status_code == 410  # the old link died
    assert client.post(link.search(as_sent(second).html).group(1)).status_code == 200
    confirmed = fresh(contact)
    assert confirmed.status == ContactStatus.SUBSCRIBED and confirmed.topic_values == [Topic.PHISHING]
    assert [(c.source, c.ip_address) for c in confirmed.consents] == [(ConsentSource.ADMIN_RESEND, None)]
    assert "Bevestigingsmail, opnieuw verstuurd door een beheerder" in client.get(page_of(contact)).get_data(as_text=True)
    assert audit_actions(contact)[-2:] == ["contact.confirmation_resent", "contact.viewed"]


@pytest.mark.parametrize("status", [ContactStatus.SUBSCRIBED, ContactStatus.UNCONFIRMED, ContactStatus.UNSUBSCRIBED])
def test_resending_is_refused_without_an_open_request(client: FlaskClient, status: ContactStatus) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation, status=status)  # an import without consent has no open request either
    signed_in(client, organisation)
    response = client.post(f"{page_of(contact)}/bevestigingsmail")
    assert response.status_code == 409 and "openstaande aanmelding" in response.get_data(as_text=True)
    assert outbox() == []


def test_erasing_asks_first_then_anonymises_and_no_campaign_reaches_the_placeholder(client: FlaskClient) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation, email=PERSON, name="Lotte Lezer", municipality="Alfadorp",
                           lists=[make_contact_list(organisation)])
    contact.tags = [make_tag(organisation, "pilot")]
    contact.consents = [ConsentRecord(text_version="v1", source=ConsentSource.SUBSCRIBE_FORM, ip_address="192.0.2.7")]
    db.session.commit()
    sent = make_campaign(organisation)
    make_message(organisation, kind=MessageKind.CAMPAIGN, template="campaign", to_address=PERSON, to_name="Lotte Lezer",
                 campaign_id=sent.id, contact_id=contact.id, status=MessageStatus.SENT)
    workshop_registration = make_registration(make_event(organisation), email=PERSON)
    make_contact(organisation, email="blijft@example.org")
    signed_in(client, organisation)

    question = client.get(f"{page_of(contact)}/wissen")
    assert question.status_code == 200 and "Ja, contact wissen" in question.get_data(as_text=True)
    assert fresh(contact).email == PERSON  # asking changes nothing
    response = client.post(f"{page_of(contact)}/wissen")

    assert response.status_code == 302 and response.location.endswith(f"/beheer/contacten/?organisatie={organisation.id}")
    erased = fresh(contact)
    assert erased.email.endswith(ANONYMOUS_DOMAIN) and PERSON not in erased.email
    assert (erased.name, erased.municipality, erased.lists, erased.tags) == ("Geanonimiseerd", None, [], [])
    assert erased.status == ContactStatus.UNSUBSCRIBED
    assert [(c.text_version, c.ip_address) for c in erased.consents] == [("v1", None)]
    assert all(PERSON not in row.to_address for row in outbox("campaign"))
    assert workshop_registration.email == PERSON  # registrations are the events admin's to erase
    next_campaign = make_campaign(organisation)
    confirm_and_send(client, next_campaign)
    assert [row.to_address for row in outbox("campaign") if row.campaign_id == next_campaign.id] == ["blijft@example.org"]
    assert client.post(f"{page_of(contact)}/wissen").status_code == 409
    assert "contact.erased" in audit_actions(contact)
    assert "Dit contact is gewist" in client.get(page_of(contact)).get_data(as_text=True)


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", ""), ("post", "/afmelden"),
                                                ("post", "/bevestigingsmail"), ("get", "/wissen"), ("post", "/wissen")])
def test_another_organisation_gets_a_404_and_changes_nothing(client: FlaskClient, method: str, suffix: str) -> None:
    contact = make_contact(make_organisation(), email=PERSON, name="Lotte")
    outsider = make_organisation()
    login(client, make_user(outsider, Role.ADMIN))
    response = getattr(client, method)(f"{page_of(contact)}{suffix}", data=edit_form(name="Indringer"))
    assert response.status_code == 404 and PERSON not in response.get_data(as_text=True)
    unchanged = fresh(contact)
    assert (unchanged.name, unchanged.status, unchanged.email) == ("Lotte", ContactStatus.SUBSCRIBED, PERSON)


def test_an_unknown_contact_is_a_404(client: FlaskClient) -> None:
    signed_in(client, make_organisation())
    assert client.get("/beheer/contacten/987654").status_code == 404


def test_the_contacts_list_links_each_row_to_its_page(client: FlaskClient) -> None:
    organisation = make_organisation()
    contact = make_contact(organisation, email=PERSON)
    signed_in(client, organisation)
    page = client.get("/beheer/contacten/", query_string={"organisatie": organisation.id}).get_data(as_text=True)
    assert f'<a class="utrecht-link" href="{page_of(contact)}">{PERSON}</a>' in page
