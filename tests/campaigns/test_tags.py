"""Tags: create, rename, delete with Dutch refusals; the contacts page filters and tags in bulk;
a campaign audience by tag, counted live and respected by the launch."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Organisation
from campaigns.models import Campaign, Contact, ContactStatus, ContactTag, tag_memberships
from core.audit import AuditEntry
from extensions import db
from tests.campaigns.helpers import form_of, signed_in
from tests.conftest import QueryCounter
from tests.factories import confirm_and_send, make_campaign, make_contact, make_organisation, outbox

TAGS_URL = "/beheer/contacten/labels/"


def make_tag(organisation: Organisation, name: str, contacts: list[Contact] = ()) -> ContactTag:
    tag = ContactTag(organisation_id=organisation.id, name=name)
    db.session.add(tag)
    db.session.flush()
    if contacts:
        db.session.execute(tag_memberships.insert(), [{"tag_id": tag.id, "contact_id": c.id} for c in contacts])
    db.session.commit()
    return tag


def tag_names(organisation: Organisation) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ContactTag.name).where(ContactTag.organisation_id == organisation.id)
                                   .order_by(ContactTag.name)))


def tagged(tag: ContactTag) -> set[str]:
    return set(db.session.scalars(sa.select(Contact.email).join(tag_memberships, tag_memberships.c.contact_id == Contact.id)
                                  .where(tag_memberships.c.tag_id == tag.id)))


def test_a_tag_is_created_trimmed_and_listed_with_its_count(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    response = client.post(TAGS_URL, data={"organisatie": organisation.id, "name": "  Pilot   Noord "})
    assert response.status_code == 302
    assert tag_names(organisation) == ["Pilot Noord"]
    page = client.get(TAGS_URL, query_string={"organisatie": organisation.id}).get_data(as_text=True)
    assert "Pilot Noord" in page


@pytest.mark.parametrize(("name", "message"), [
    ("   ", "Geef het label een naam."),
    ("x" * 51, "Een label heeft hoogstens 50 tekens."),
    ("PILOT", "Er is al een label met deze naam."),
])
def test_a_tag_name_is_refused_with_a_dutch_message(client: FlaskClient, name: str, message: str) -> None:
    organisation = make_organisation()
    make_tag(organisation, "pilot")
    signed_in(client, organisation)
    response = client.post(TAGS_URL, data={"organisatie": organisation.id, "name": name})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert tag_names(organisation) == ["pilot"]


def test_another_organisation_may_use_the_same_name(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_tag(make_organisation(), "pilot")
    signed_in(client, organisation)
    assert client.post(TAGS_URL, data={"organisatie": organisation.id, "name": "pilot"}).status_code == 302
    assert tag_names(organisation) == ["pilot"]


def test_rename_keeps_the_contacts_and_refuses_a_taken_or_too_long_name(client: FlaskClient) -> None:
    organisation = make_organisation()
    reader = make_contact(organisation)
    tag = make_tag(organisation, "pilot", [reader])
    make_tag(organisation, "wijk")
    signed_in(client, organisation)
    assert client.post(f"{TAGS_URL}{tag.id}/hernoemen", data={"name": " Pilot 2027 "}).status_code == 302
    assert tag_names(organisation) == ["Pilot 2027", "wijk"] and tagged(tag) == {reader.email}
    taken = client.post(f"{TAGS_URL}{tag.id}/hernoemen", data={"name": "Wijk"})
    assert taken.status_code == 400 and "Er is al een label met deze naam." in taken.get_data(as_text=True)
    too_long = client.post(f"{TAGS_URL}{tag.id}/hernoemen", data={"name": "y" * 51})
    assert too_long.status_code == 400 and "hoogstens 50 tekens" in too_long.get_data(as_text=True)
    assert client.post(f"{TAGS_URL}{tag.id}/hernoemen", data={"name": "pilot 2027"}).status_code == 302  # own name
    assert tag_names(organisation) == ["pilot 2027", "wijk"]


def test_delete_takes_the_tag_off_its_contacts_unless_a_draft_campaign_selects_on_it(client: FlaskClient) -> None:
    organisation = make_organisation()
    reader = make_contact(organisation)
    tag = make_tag(organisation, "pilot", [reader])
    campaign = make_campaign(organisation, name="Pilotmail", tag_id=tag.id)
    signed_in(client, organisation)
    refused = client.post(f"{TAGS_URL}{tag.id}/verwijderen")
    assert refused.status_code == 409 and "Pilotmail" in refused.get_data(as_text=True)
    assert tag_names(organisation) == ["pilot"]
    client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=form_of(campaign))  # no tag any more
    assert client.post(f"{TAGS_URL}{tag.id}/verwijderen").status_code == 302
    assert tag_names(organisation) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(tag_memberships)) == 0


def test_the_contacts_page_filters_by_tag_and_shows_the_tags(client: FlaskClient) -> None:
    organisation = make_organisation()
    pilot = make_contact(organisation, email="pilot@example.org")
    make_contact(organisation, email="ander@example.org")
    tag = make_tag(organisation, "Pilot Noord", [pilot])
    signed_in(client, organisation)
    page = client.get("/beheer/contacten/", query_string={"organisatie": organisation.id, "label": tag.id})
    text = page.get_data(as_text=True)
    assert "pilot@example.org" in text and "ander@example.org" not in text and "Pilot Noord" in text
    assert f'href="/beheer/contacten/{pilot.id}"' in text
    assert "1 contact gevonden" in text


def test_bulk_tag_reaches_every_contact_the_filter_finds_in_one_statement(client: FlaskClient,
                                                                          count_queries: QueryCounter) -> None:
    organisation = make_organisation()
    for n in range(3):
        make_contact(organisation, email=f"inwoner{n}@example.org")
    make_contact(organisation, email="weg@example.org", status=ContactStatus.UNSUBSCRIBED)
    make_contact(make_organisation(), email="inwoner-elders@example.org")
    tag = make_tag(organisation, "bewoners")
    signed_in(client, organisation)
    filters = {"organisatie": organisation.id, "zoek": "inwoner", "status": "subscribed", "lijst": "", "label": ""}
    with count_queries() as statements:
        response = client.post("/beheer/contacten/labels/toepassen", data=filters | {"tag_id": tag.id,
                                                                                     "actie": "toevoegen"})
    assert response.status_code == 302 and "label=" not in response.location and "zoek=inwoner" in response.location
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO CONTACT_TAG_MEMBERSHIPS")]
    assert len(inserts) == 1
    assert tagged(tag) == {"inwoner0@example.org", "inwoner1@example.org", "inwoner2@example.org"}
    assert "aan 3 contacten gegeven" in client.get(response.location).get_data(as_text=True)
    again = client.post("/beheer/contacten/labels/toepassen", data=filters | {"tag_id": tag.id, "actie": "toevoegen"})
    assert again.status_code == 302 and len(tagged(tag)) == 3  # those who have it keep it once

    removed = client.post("/beheer/contacten/labels/toepassen",
                          data=filters | {"zoek": "inwoner1", "tag_id": tag.id, "actie": "verwijderen"})
    assert removed.status_code == 302
    assert tagged(tag) == {"inwoner0@example.org", "inwoner2@example.org"}
    actions = db.session.execute(sa.select(AuditEntry.action, AuditEntry.details).where(
        AuditEntry.action.in_(["contacts.tagged", "contacts.untagged"])).order_by(AuditEntry.id)).all()
    assert [(action, details["count"]) for action, details in actions] == [
        ("contacts.tagged", 3), ("contacts.tagged", 0), ("contacts.untagged", 1)]
    assert actions[0].details["filters"]["search"] == "inwoner"


@pytest.mark.parametrize("tag_id", ["", "abc", "99999999", "other"])
def test_bulk_tag_refuses_a_missing_or_foreign_tag(client: FlaskClient, tag_id: str) -> None:
    organisation = make_organisation()
    make_contact(organisation)
    foreign = make_tag(make_organisation(), "elders")
    signed_in(client, organisation)
    value = str(foreign.id) if tag_id == "other" else tag_id
    response = client.post("/beheer/contacten/labels/toepassen",
                           data={"organisatie": organisation.id, "tag_id": value, "actie": "toevoegen"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(tag_memberships)) == 0


def test_bulk_tag_refuses_an_unknown_action(client: FlaskClient) -> None:
    organisation = make_organisation()
    tag = make_tag(organisation, "pilot")
    signed_in(client, organisation)
    response = client.post("/beheer/contacten/labels/toepassen",
                           data={"organisatie": organisation.id, "tag_id": tag.id, "actie": "alles-wissen"})
    assert response.status_code == 400


def test_the_tag_segment_is_counted_live_and_the_launch_keeps_to_it(client: FlaskClient,
                                                                    count_queries: QueryCounter) -> None:
    organisation = make_organisation()
    pilot = [make_contact(organisation, email=f"pilot{n}@example.org") for n in range(2)]
    unconfirmed = make_contact(organisation, email="onbevestigd@example.org", status=ContactStatus.UNCONFIRMED)
    make_contact(organisation, email="zonder-label@example.org")
    tag = make_tag(organisation, "pilot", [*pilot, unconfirmed])
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    count = client.get(f"/beheer/campagnes/{campaign.id}/ontvangers.json", query_string={"tag_id": tag.id})
    assert count.get_json()["count"] == 2
    editor = client.get(f"/beheer/campagnes/{campaign.id}/bewerken").get_data(as_text=True)
    assert f'<option value="{tag.id}">pilot</option>' in editor
    assert client.post(f"/beheer/campagnes/{campaign.id}/bewerken",
                       data=form_of(campaign, tag_id=str(tag.id))).status_code == 302
    with count_queries() as statements:
        assert confirm_and_send(client, campaign).status_code == 302
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT INTO OUTGOING_MESSAGES")]) == 1
    assert sorted(row.to_address for row in outbox("campaign")) == ["pilot0@example.org", "pilot1@example.org"]


def test_a_tag_of_another_organisation_cannot_be_the_audience(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation)
    foreign = make_tag(make_organisation(), "elders")
    signed_in(client, organisation)
    response = client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=form_of(campaign, tag_id=str(foreign.id)))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).tag_id is None
