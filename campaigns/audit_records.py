"""How the audit log names and links contacts, lists, tags, imports and campaigns (registered in app.py)."""
from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask import url_for

from campaigns.models import Campaign, Contact, ContactImport, ContactList, ContactTag
from core.audit import Described
from extensions import db


def contacts(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(Contact.id, Contact.email).where(Contact.id.in_(ids)))
    return {row.id: Described(row.email, url_for("contact.show", contact_id=row.id)) for row in rows}


def campaigns(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(Campaign.id, Campaign.name).where(Campaign.id.in_(ids)))
    return {row.id: Described(row.name, url_for("campaigns.show", campaign_id=row.id)) for row in rows}


def contact_lists(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(ContactList.id, ContactList.name, ContactList.organisation_id)
                              .where(ContactList.id.in_(ids)))
    return {row.id: Described(row.name, url_for("lists.index", organisatie=row.organisation_id)) for row in rows}


def contact_tags(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(ContactTag.id, ContactTag.name, ContactTag.organisation_id)
                              .where(ContactTag.id.in_(ids)))
    return {row.id: Described(row.name, url_for("tags.index", organisatie=row.organisation_id)) for row in rows}


def imports(ids: Collection[int]) -> dict[int, Described]:
    rows = db.session.execute(sa.select(ContactImport.id, ContactImport.filename).where(ContactImport.id.in_(ids)))
    return {row.id: Described(row.filename, url_for("contacts.import_progress", import_id=row.id)) for row in rows}
