"""Double opt-in, unsubscribe and preferences: the only ways a contact's consent changes.

A request to subscribe never changes what is stored about an address except a new confirmation
nonce: the choices travel inside the signed link and take effect when the person confirms. So
the answer is the same whether or not the address is known, and a stranger cannot change
someone's topics.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from accounts.branding import organisation_branding, organisation_sender
from accounts.models import Organisation
from campaigns import tokens
from campaigns.models import (
    Campaign,
    ConsentRecord,
    ConsentSource,
    Contact,
    ContactAudience,
    ContactStatus,
    ContactTopic,
    Topic,
)
from campaigns.services.contacts import get_or_create_contact
from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageKind, MessageStatus, OutgoingMessage
from mailing.outbox import Mail, queue
from mailing.personalise import render_mail
from mailing.secret_links import SecretLink, placeholder

# Bump when the consent text on the subscribe page changes; every ConsentRecord names the version.
CONSENT_TEXT_VERSION = "2026-11-v1"
WITHDRAWN = (ContactStatus.UNSUBSCRIBED, ContactStatus.BOUNCED, ContactStatus.COMPLAINED)


class LinkUsed(Exception):
    """A genuine confirmation link that was already used or replaced by a newer one."""


@dataclass(frozen=True)
class Subscription:
    email: str
    name: str | None = None
    audience: ContactAudience | None = None
    municipality: str | None = None
    topics: tuple[Topic, ...] = field(default_factory=tuple)
    source: ConsentSource = ConsentSource.SUBSCRIBE_FORM
    ip_address: str | None = None


def request_subscription(organisation: Organisation, subscription: Subscription) -> Contact:
    """Mails a one-time confirmation link; nothing is subscribed until it is used."""
    contact = get_or_create_contact(organisation.id, subscription.email, subscription.name)
    contact.confirm_nonce = secrets.token_urlsafe(16)
    db.session.flush()
    payload = {
        "c": contact.id, "n": contact.confirm_nonce, "v": CONSENT_TEXT_VERSION, "s": subscription.source.value,
        "a": subscription.audience.value if subscription.audience else None,
        "m": subscription.municipality, "t": [topic.value for topic in subscription.topics],
        "ip": subscription.ip_address,
    }
    mail = render_mail("mail/campaigns/confirm_subscription.mjml",
                       {"branding": organisation_branding(organisation), "confirm_url": placeholder()})
    queue(Mail(
        to_address=contact.email, to_name=contact.name,
        subject=_("Bevestig uw aanmelding bij %(name)s", name=organisation.name),
        text_body=mail.text, html_body=mail.html, template="confirm_subscription",
        sender=organisation_sender(organisation), organisation_id=organisation.id,
        secret_link=SecretLink(tokens.CONFIRM_SALT, payload),
    ))
    return contact


def confirm(token: str) -> Contact:
    """Subscribes the contact the link was made for and records the consent; the link then dies."""
    payload = tokens.read_token(tokens.CONFIRM_SALT, token, current_app.config["CONTACT_CONFIRM_MAX_AGE_SECONDS"])
    contact = db.session.get(Contact, payload["c"], with_for_update=True)
    if contact is None:
        raise tokens.TokenInvalid
    if not contact.confirm_nonce or contact.confirm_nonce != payload.get("n"):
        raise LinkUsed
    contact.confirm_nonce = None
    contact.status = ContactStatus.SUBSCRIBED
    contact.confirmed_at = utcnow()
    if payload.get("a") in ContactAudience._value2member_map_:
        contact.audience = ContactAudience(payload["a"])
    if payload.get("m"):
        contact.municipality = str(payload["m"])[:100]
    topics = [Topic(value) for value in payload.get("t") or [] if value in Topic._value2member_map_]
    if topics:
        set_topics(contact, topics)
    source = payload.get("s")
    contact.consents.append(ConsentRecord(
        text_version=str(payload.get("v") or CONSENT_TEXT_VERSION),
        source=ConsentSource(source) if source in ConsentSource._value2member_map_ else ConsentSource.SUBSCRIBE_FORM,
        ip_address=payload.get("ip"),
    ))
    db.session.flush()
    return contact


def set_topics(contact: Contact, topics: list[Topic]) -> None:
    wanted = set(topics)
    contact.topics = [row for row in contact.topics if row.topic in wanted]
    present = {row.topic for row in contact.topics}
    contact.topics.extend(ContactTopic(topic=topic) for topic in sorted(wanted - present))


def contact_from_link(salt: str, token: str) -> tuple[Contact, dict]:
    """The contact of an unsubscribe or preference link: a stored link token or a signed one."""
    stored = tokens.stored_link(token)
    if stored is None:
        payload = tokens.read_token(salt, token)
        contact = db.session.get(Contact, payload["c"])
    else:
        contact = db.session.scalar(sa.select(Contact).where(Contact.link_token == stored[0]))
        payload = {"k": stored[1]} if stored[1] is not None else {}
    if contact is None:
        raise tokens.TokenInvalid
    return contact, payload


def unsubscribe(contact: Contact, campaign_id: int | None = None) -> None:
    """Idempotent: the first unsubscribe counts (for the campaign it came from); queued campaign
    mail to the address is cancelled, so not even a campaign already launched reaches it."""
    if contact.status == ContactStatus.UNSUBSCRIBED:
        return
    contact.status = ContactStatus.UNSUBSCRIBED
    contact.unsubscribed_at = utcnow()
    contact.confirm_nonce = None
    if campaign_id is not None and db.session.scalar(sa.select(Campaign.id).where(
            Campaign.id == campaign_id, Campaign.organisation_id == contact.organisation_id)):
        contact.unsubscribed_campaign_id = campaign_id
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.contact_id == contact.id, OutgoingMessage.kind == MessageKind.CAMPAIGN,
               OutgoingMessage.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.CANCELLED, last_error="contact unsubscribed")
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def update_preferences(contact: Contact, audience: ContactAudience | None, municipality: str | None,
                       topics: list[Topic]) -> None:
    contact.audience = audience
    contact.municipality = municipality
    set_topics(contact, topics)
    db.session.flush()
