"""One contact as an admin sees and changes it: its history, its segments, and the little an admin
may do to its consent (unsubscribe it, resend an open confirmation, erase it; never subscribe it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from accounts.models import Organisation
from campaigns import privacy
from campaigns.models import STILL_MAILABLE, Campaign, ConsentSource, Contact, ContactAudience, ContactStatus, Topic
from campaigns.services import consent, groups
from campaigns.services.contacts import ContactError
from core.privacy import ANONYMOUS_DOMAIN
from events.models import Event, Registration
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage


@dataclass(frozen=True)
class SentCampaign:
    campaign_id: int
    name: str
    status: MessageStatus
    queued_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class ContactChanges:
    name: str | None
    audience: ContactAudience | None
    municipality: str | None
    topics: list[Topic] = field(default_factory=list)
    list_ids: list[int] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)


def is_erased(contact: Contact) -> bool:
    return contact.email.endswith(f"@{ANONYMOUS_DOMAIN}")


def campaigns_sent(contact: Contact) -> list[SentCampaign]:
    """The campaign mails in the outbox for this contact, newest first. Joined from the
    organisation's campaigns so that UNIQUE(campaign_id, contact_id) serves as the index."""
    rows = db.session.execute(
        sa.select(Campaign.id, Campaign.name, OutgoingMessage.status, OutgoingMessage.created_at,
                  OutgoingMessage.sent_at)
        .join(Campaign, Campaign.id == OutgoingMessage.campaign_id)
        .where(Campaign.organisation_id == contact.organisation_id, OutgoingMessage.contact_id == contact.id)
        .order_by(OutgoingMessage.created_at.desc(), OutgoingMessage.id.desc())
    ).all()
    return [SentCampaign(*row) for row in rows]


def unsubscribed_via(contact: Contact) -> Campaign | None:
    """The campaign whose unsubscribe link the contact used, if any."""
    return db.session.get(Campaign, contact.unsubscribed_campaign_id) if contact.unsubscribed_campaign_id else None


def registrations_of(contact: Contact) -> list[Registration]:
    """The contact's sign-ups for this organisation's events (by address), latest event first."""
    return list(db.session.scalars(
        sa.select(Registration).join(Registration.event).options(contains_eager(Registration.event))
        .where(Event.organisation_id == contact.organisation_id, Registration.email == contact.email)
        .order_by(Event.starts_at.desc(), Registration.id.desc())
    ))


def _ensure_not_erased(contact: Contact) -> None:
    if is_erased(contact):
        raise ContactError(_("Dit contact is gewist; er valt niets meer aan te passen."))


def update_contact(contact: Contact, changes: ContactChanges) -> None:
    """Changes name, audience, municipality, topics, lists and tags; the lists and tags must be the organisation's."""
    _ensure_not_erased(contact)
    lists = groups.of_organisation(groups.LISTS, contact.organisation_id, changes.list_ids)
    tags = groups.of_organisation(groups.TAGS, contact.organisation_id, changes.tag_ids)
    contact.name = changes.name or None
    contact.lists = lists
    contact.tags = tags
    consent.update_preferences(contact, changes.audience, changes.municipality or None, changes.topics)


def unsubscribe(contact: Contact) -> None:
    """As if the person used their unsubscribe link: recorded now, queued campaign mail cancelled,
    no later campaign reaches them. A bounced or complained address keeps that status."""
    _ensure_not_erased(contact)
    if contact.status not in STILL_MAILABLE:
        raise ContactError(_("Dit contact ontvangt al geen campagnes."))
    consent.unsubscribe(contact)


def can_resend_confirmation(contact: Contact) -> bool:
    """Only an open request can be sent again: an address that never asked (an import without
    consent) gets no mail from us, and a subscribed one needs none."""
    return contact.status == ContactStatus.UNCONFIRMED and contact.confirm_nonce is not None and not is_erased(contact)


def resend_confirmation(organisation: Organisation, contact: Contact) -> None:
    """A new confirmation link with the contact's current choices; the earlier link stops working."""
    if not can_resend_confirmation(contact):
        raise ContactError(_("Alleen een contact met een openstaande aanmelding krijgt de bevestigingsmail opnieuw."))
    consent.request_subscription(organisation, consent.Subscription(
        email=contact.email, name=contact.name, audience=contact.audience, municipality=contact.municipality,
        topics=tuple(contact.topic_values), source=ConsentSource.ADMIN_RESEND,
    ))


def erase(contact: Contact) -> int:
    """The organisation's contact erasure of `campaigns.privacy` (which unsubscribes first); returns
    the contacts anonymised."""
    _ensure_not_erased(contact)
    return privacy.erase(contact.email, [contact.organisation_id])
