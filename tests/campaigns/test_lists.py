"""Lists, managed like tags (one set of pages serves both): rename and delete with Dutch refusals,
and every contact the contacts page finds put on a list, or taken off it, at once."""
from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from accounts.models import Organisation
from campaigns.models import ContactList, ImportStatus, list_memberships
from core.audit import AuditEntry
from extensions import db
from tests.campaigns.helpers import signed_in
from tests.factories import make_campaign, make_contact, make_contact_list, make_import, make_organisation

LISTS_URL = "/beheer/contacten/lijsten"


def list_names(organisation: Organisation) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ContactList.name).where(ContactList.organisation_id == organisation.id)
                                   .order_by(ContactList.name)))


def members(contact_list: ContactList) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(list_memberships)
                             .where(list_memberships.c.list_id == contact_list.id))


def test_a_list_is_created_renamed_and_refused_a_taken_or_empty_name(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    assert client.post(LISTS_URL, data={"organisatie": organisation.id, "name": " Nieuwsbrief "}).status_code == 302
    assert client.post(LISTS_URL, data={"organisatie": organisation.id, "name": "Ondernemers"}).status_code == 302
    (letter,) = [c for c in db.session.scalars(sa.select(ContactList)) if c.name == "Nieuwsbrief"]
    assert client.post(f"{LISTS_URL}/{letter.id}/hernoemen", data={"name": "Nieuwsbrief 2027"}).status_code == 302
    taken = client.post(f"{LISTS_URL}/{letter.id}/hernoemen", data={"name": "ondernemers"})
    assert taken.status_code == 400 and "Er is al een lijst met deze naam." in taken.get_data(as_text=True)
    empty = client.post(LISTS_URL, data={"organisatie": organisation.id, "name": "   "})
    assert empty.status_code == 400 and "Geef de lijst een naam." in empty.get_data(as_text=True)
    long = client.post(LISTS_URL, data={"organisatie": organisation.id, "name": "x" * 201})
    assert long.status_code == 400 and "hoogstens 200 tekens" in long.get_data(as_text=True)
    assert list_names(organisation) == ["Nieuwsbrief 2027", "Ondernemers"]


def test_a_list_in_use_by_a_draft_campaign_or_a_running_import_is_not_deleted(client: FlaskClient) -> None:
    organisation = make_organisation()
    used, filling, free = (make_contact_list(organisation, name=name) for name in ("Gebruikt", "Vult", "Vrij"))
    make_campaign(organisation, name="Decembermail", list_id=used.id)
    make_import(organisation, filename="leden.csv", status=ImportStatus.RUNNING, list_id=filling.id)
    make_contact(organisation, lists=[free])
    signed_in(client, organisation)
    refused = client.post(f"{LISTS_URL}/{used.id}/verwijderen")
    assert refused.status_code == 409 and "Decembermail" in refused.get_data(as_text=True)
    importing = client.post(f"{LISTS_URL}/{filling.id}/verwijderen")
    assert importing.status_code == 409 and "leden.csv" in importing.get_data(as_text=True)
    confirm = client.get(f"{LISTS_URL}/{free.id}/verwijderen").get_data(as_text=True)
    assert "Lijst Vrij verwijderen?" in confirm and "Contacten op deze lijst: 1." in confirm
    assert list_names(organisation) == ["Gebruikt", "Vrij", "Vult"]  # asking deletes nothing
    assert client.post(f"{LISTS_URL}/{free.id}/verwijderen").status_code == 302
    assert list_names(organisation) == ["Gebruikt", "Vult"] and members(free) == 0


def test_everyone_the_contacts_page_finds_goes_on_a_list_and_off_again(client: FlaskClient) -> None:
    organisation = make_organisation()
    for n in range(3):
        make_contact(organisation, email=f"utrecht{n}@example.org", municipality="Utrecht")
    make_contact(organisation, email="elders@example.org", municipality="Elders")
    target = make_contact_list(organisation, name="Utrechters")
    signed_in(client, organisation)
    filters = {"organisatie": organisation.id, "zoek": "utrecht", "status": "", "lijst": "", "label": ""}
    added = client.post(f"{LISTS_URL}/toepassen", data=filters | {"list_id": target.id, "actie": "toevoegen"})
    assert added.status_code == 302 and members(target) == 3
    assert "3 contacten zijn op lijst Utrechters gezet" in client.get(added.location).get_data(as_text=True)
    client.post(f"{LISTS_URL}/toepassen", data=filters | {"zoek": "utrecht0", "list_id": target.id, "actie": "verwijderen"})
    assert members(target) == 2
    actions = list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("contacts.%listed"))
                                      .order_by(AuditEntry.id)))
    assert actions == ["contacts.listed", "contacts.unlisted"]


def test_a_list_of_another_organisation_cannot_be_filled(client: FlaskClient) -> None:
    organisation, other = make_organisation(), make_organisation()
    make_contact(organisation)
    foreign = make_contact_list(other)
    signed_in(client, organisation)
    response = client.post(f"{LISTS_URL}/toepassen", data={"organisatie": organisation.id, "list_id": foreign.id,
                                                           "actie": "toevoegen"})
    assert response.status_code == 400 and members(foreign) == 0
    assert client.post(f"{LISTS_URL}/{foreign.id}/verwijderen").status_code == 404
