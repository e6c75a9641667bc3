"""The account mails (password reset, invitation), put in the outbox inside the business transaction.

All composition of account mails lives here, so moving them onto other layouts touches one module.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _

from accounts import tokens
from accounts.branding import organisation_branding, organisation_sender
from accounts.labels import ROLE_LABELS
from accounts.models import Membership, Organisation, User
from core.links import absolute_url
from mailing.outbox import Mail, queue
from mailing.personalise import render_mail
from mailing.secret_links import SecretLink, placeholder


def login_url() -> str:
    return absolute_url("accounts.login")


def _send(user: User, template: str, subject: str, organisation: Organisation | None, *,
          action_url: str | SecretLink, action_text: str, **context: Any) -> None:
    """`action_url` a SecretLink: the stored mail holds a placeholder, the sent one the link."""
    secret_link = action_url if isinstance(action_url, SecretLink) else None
    if secret_link is not None:
        action_url = placeholder()
    context |= {
        "user": user,
        "branding": organisation_branding(organisation),
        "action_url": action_url,
        "action_text": action_text,
    }
    mail = render_mail(f"mail/accounts/{template}.mjml", context)
    queue(
        Mail(
            to_address=user.email,
            to_name=user.name,
            subject=subject,
            text_body=mail.text,
            html_body=mail.html,
            template=template,
            sender=organisation_sender(organisation),
            organisation_id=organisation.id if organisation else None,
            secret_link=secret_link,
        )
    )


def password_reset(user: User) -> None:
    max_age_minutes = current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] // 60
    tokens.supersede_links(user)
    _send(user, "password_reset", _("Nieuw wachtwoord instellen voor Weerbaar"), None,
          action_url=tokens.password_reset_link(user), action_text=_("Nieuw wachtwoord instellen"),
          max_age_minutes=max_age_minutes)


def _membership_context(membership: Membership) -> dict[str, str]:
    return {"organisation_name": membership.organisation.name, "role": str(ROLE_LABELS[membership.role])}


def invitation(membership: Membership) -> None:
    organisation = membership.organisation
    max_age_days = current_app.config["INVITATION_MAX_AGE_SECONDS"] // (24 * 3600)
    tokens.supersede_links(membership.user)
    _send(membership.user, "invitation", _("Uitnodiging voor Weerbaar van %(name)s", name=organisation.name),
          organisation, action_url=tokens.invitation_link(membership.user), action_text=_("Uitnodiging aannemen"),
          max_age_days=max_age_days, **_membership_context(membership))


def added_to_organisation(membership: Membership) -> None:
    organisation = membership.organisation
    _send(membership.user, "added_to_organisation",
          _("U heeft nu toegang tot %(name)s in Weerbaar", name=organisation.name),
          organisation, action_url=login_url(), action_text=_("Inloggen"), **_membership_context(membership))
