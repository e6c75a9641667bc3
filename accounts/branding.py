"""How an organisation appears in its mails: sender and branding (the platform's own when None)."""
from __future__ import annotations

from flask import current_app

from accounts.models import Organisation
from core.links import absolute_url
from mailing.outbox import Sender
from mailing.personalise import Branding

PLATFORM_NAME = "Weerbaar"
PLATFORM_COLOUR = "#154273"


def organisation_sender(organisation: Organisation | None) -> Sender:
    default_address = current_app.config["MAIL_DEFAULT_SENDER"]
    if organisation is None:
        return Sender(address=default_address, name=PLATFORM_NAME)
    return Sender(
        address=organisation.mail_from_address or default_address,
        name=organisation.mail_from_name or organisation.name,
        reply_to=organisation.reply_to,
    )


def sender_domain(organisation: Organisation | None) -> str:
    """The one domain the organisation's mail may come from: its own sender's (SPF and DMARC of
    the relay are set up for it), the platform's without one."""
    return organisation_sender(organisation).address.rpartition("@")[2].lower()


def may_send_as(organisation: Organisation | None, address: str) -> bool:
    return address.rpartition("@")[2].lower() == sender_domain(organisation)


def organisation_branding(organisation: Organisation | None) -> Branding:
    default_address = current_app.config["MAIL_DEFAULT_SENDER"]
    if organisation is None:
        return Branding(name=PLATFORM_NAME, colour=PLATFORM_COLOUR, sender_address=default_address)
    return Branding(
        name=organisation.name,
        colour=organisation.brand_colour,
        sender_address=organisation.mail_from_address or default_address,
        logo_url=organisation.logo_url,
        privacy_contact=organisation.privacy_contact,
        privacy_url=absolute_url("privacy.statement", slug=organisation.slug),
    )
