"""Who a campaign reaches: subscribed contacts that meet every condition of its audience."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from campaigns.models import (
    Campaign,
    Contact,
    ContactAudience,
    ContactStatus,
    ContactTopic,
    EventRelation,
    Topic,
    list_memberships,
    tag_memberships,
)
from campaigns.services.contacts import in_group
from events.models import Registration, RegistrationStatus
from extensions import db


@dataclass(frozen=True)
class AudienceDefinition:
    list_id: int | None = None
    audience_type: ContactAudience | None = None
    municipality: str | None = None
    topic: Topic | None = None
    event_id: int | None = None
    event_relation: EventRelation | None = None
    tag_id: int | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> AudienceDefinition:
        return cls(list_id=campaign.list_id, audience_type=campaign.audience_type,
                   municipality=campaign.municipality, topic=campaign.topic,
                   event_id=campaign.event_id, event_relation=campaign.event_relation, tag_id=campaign.tag_id)


def _event_condition(event_id: int, relation: EventRelation) -> sa.ColumnElement[bool]:
    registered = sa.and_(Registration.event_id == event_id, Registration.email == Contact.email,
                         Registration.status != RegistrationStatus.CANCELLED)
    attended = sa.exists().where(registered, Registration.checked_in_at.is_not(None))
    if relation == EventRelation.ATTENDED:
        return attended
    if relation == EventRelation.ABSENT:
        return sa.and_(sa.exists().where(registered), ~attended)
    return sa.exists().where(registered)


def conditions(organisation_id: int, definition: AudienceDefinition) -> list[sa.ColumnElement[bool]]:
    """Only ever subscribed contacts: unconfirmed, unsubscribed and bounced addresses are never in."""
    where = [Contact.organisation_id == organisation_id, Contact.status == ContactStatus.SUBSCRIBED]
    if definition.list_id is not None:
        where.append(in_group(list_memberships, "list_id", definition.list_id))
    if definition.tag_id is not None:
        where.append(in_group(tag_memberships, "tag_id", definition.tag_id))
    if definition.audience_type is not None:
        where.append(Contact.audience == definition.audience_type)
    if definition.municipality:
        where.append(sa.func.lower(Contact.municipality) == definition.municipality.lower())
    if definition.topic is not None:
        where.append(sa.exists().where(ContactTopic.contact_id == Contact.id, ContactTopic.topic == definition.topic))
    if definition.event_id is not None and definition.event_relation is not None:
        where.append(_event_condition(definition.event_id, definition.event_relation))
    return where


def recipients(organisation_id: int, definition: AudienceDefinition) -> sa.Select:
    """(id, email, name, municipality) of every recipient, in id order."""
    return (sa.select(Contact.id, Contact.email, Contact.name, Contact.municipality)
            .where(*conditions(organisation_id, definition)).order_by(Contact.id))


def recipient_count(organisation_id: int, definition: AudienceDefinition) -> int:
    return db.session.scalar(sa.select(sa.func.count(Contact.id)).where(*conditions(organisation_id, definition))) or 0


def empty_field_count(organisation_id: int, definition: AudienceDefinition, column: sa.ColumnElement) -> int:
    """Recipients for whom a personalisation value (name, municipality) is empty."""
    query = sa.select(sa.func.count(Contact.id)).where(
        *conditions(organisation_id, definition), sa.or_(column.is_(None), column == ""))
    return db.session.scalar(query) or 0
