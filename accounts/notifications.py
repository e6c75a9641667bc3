"""The account mails (password reset, invitation), put in the outbox inside the business transaction.

All composition of account mails lives here, so moving them onto other layouts touches one module.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_babel import gettext as _

from accounts import tokens
from accounts.models import Membership, Organisation, User
from mailing.outbox import Mail, Sender, queue


def login_url() -> str:
    return f"{current_app.config['BASE_URL']}/beheer/inloggen"


def _platform_sender() -> Sender:
    return Sender(address=current_app.config["MAIL_DEFAULT_SENDER"], name="Weerbaar")


def _organisation_sender(organisation: Organisation) -> Sender:
    return Sender(
        address=organisation.mail_from_address or current_app.config["MAIL_DEFAULT_SENDER"],
        name=organisation.mail_from_name or organisation.name,
        reply_to=organisation.reply_to,
    )


def _send(user: User, template: str, subject: str, sender: Sender, organisation: Organisation | None,
          **context: Any) -> None:
    context |= {"user": user, "organisation": organisation, "login_url": login_url()}
    queue(
        Mail(
            to_address=user.email,
            to_name=user.name,
            subject=subject,
            text_body=render_template(f"mail/accounts/{template}.txt", **context),
            html_body=render_template(f"mail/accounts/{template}.html", **context),
            template=template,
            sender=sender,
            organisation_id=organisation.id if organisation else None,
        )
    )


def password_reset(user: User) -> None:
    max_age_minutes = current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] // 60
    _send(user, "password_reset", _("Nieuw wachtwoord instellen voor Weerbaar"), _platform_sender(), None,
          reset_url=tokens.password_reset_url(user), max_age_minutes=max_age_minutes)


def invitation(membership: Membership) -> None:
    organisation = membership.organisation
    max_age_days = current_app.config["INVITATION_MAX_AGE_SECONDS"] // (24 * 3600)
    _send(membership.user, "invitation", _("Uitnodiging voor Weerbaar van %(name)s", name=organisation.name),
          _organisation_sender(organisation), organisation, membership=membership,
          invitation_url=tokens.invitation_url(membership.user), max_age_days=max_age_days)


def added_to_organisation(membership: Membership) -> None:
    organisation = membership.organisation
    _send(membership.user, "added_to_organisation",
          _("U heeft nu toegang tot %(name)s in Weerbaar", name=organisation.name),
          _organisation_sender(organisation), organisation, membership=membership)
