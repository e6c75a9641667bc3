"""The organisation as sender and as the mail layout shows it."""
from __future__ import annotations

from flask import current_app

from accounts.models import Organisation
from mailing.outbox import Sender
from mailing.personalise import Branding


def default_sender_address(organisation: Organisation) -> str:
    return organisation.mail_from_address or current_app.config["MAIL_DEFAULT_SENDER"]


def organisation_sender(organisation: Organisation) -> Sender:
    return Sender(address=default_sender_address(organisation),
                  name=organisation.mail_from_name or organisation.name, reply_to=organisation.reply_to)


def branding_for(organisation: Organisation) -> Branding:
    return Branding(
        name=organisation.name,
        colour=organisation.brand_colour,
        sender_address=default_sender_address(organisation),
        logo_url=organisation.logo_url,
        privacy_contact=organisation.privacy_contact,
    )
