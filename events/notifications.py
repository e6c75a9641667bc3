"""The mails about registrations and events, put in the outbox inside the business transaction."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from flask import current_app
from flask_babel import gettext as _

from accounts.branding import organisation_branding, organisation_sender
from core.links import absolute_url
from events.ics import event_calendar
from events.models import Event, Registration, RegistrationStatus
from events.signals import followup_link_wanted
from events.tickets import CONTENT_ID, ticket_png
from events.tokens import manage_url
from mailing.outbox import Attachment, Mail, queue
from mailing.personalise import render_mail
from mailing.secret_links import SecretLink, placeholder
from selfhelp import links as selfhelp_links


@dataclass(frozen=True)
class FollowupLink:
    """A link that grants something (never stored: the bodies hold the placeholder), with its words."""

    link: SecretLink
    intro: str
    button: str


def event_url(event: Event) -> str:
    return absolute_url("events.detail", event_id=event.id, slug=event.slug)


def calendar_domain() -> str:
    """The domain in calendar UIDs: the same in mails and the feed, so calendars merge the two."""
    return urlparse(current_app.config["BASE_URL"]).hostname or "weerbaar.localhost"


def _calendar(event: Event) -> Attachment:
    calendar_file = event_calendar(event, event_url(event), calendar_domain())
    return Attachment("uitnodiging.ics", "text/calendar; method=PUBLISH", calendar_file)


def _ticket(registration: Registration) -> Attachment:
    return Attachment("toegangsbewijs.png", "image/png", ticket_png(registration), content_id=CONTENT_ID)


def paragraphs(text: str | None) -> list[str]:
    """An organiser's extra text as paragraphs (blank lines between them), each escaped in the mail."""
    return [" ".join(part.split()) for part in (text or "").split("\n\n") if part.strip()]


def _compose(registration: Registration, template: str, subject: str, *, with_calendar: bool = False,
             with_ticket: bool = False, extra_text: str | None = None,
             followup_link: FollowupLink | None = None) -> Mail:
    event = registration.event
    attachments = ([_calendar(event)] if with_calendar else []) + ([_ticket(registration)] if with_ticket else [])
    context = {
        "registration": registration,
        "event": event,
        "branding": organisation_branding(event.organisation),
        "manage_url": manage_url(registration),
        "event_url": event_url(event),
        "extra_paragraphs": paragraphs(extra_text),
        "followup_link": followup_link,
        "followup_url": placeholder() if followup_link else None,
        "selfhelp_url": selfhelp_links.list_url(event.organisation),
    }
    mail = render_mail(f"mail/events/{template}.mjml", context)
    return Mail(
        to_address=registration.email,
        to_name=registration.name,
        subject=subject,
        text_body=mail.text,
        html_body=mail.html,
        template=template,
        sender=organisation_sender(event.organisation),
        organisation_id=event.organisation_id,
        registration_id=registration.id,
        attachments=attachments,
        secret_link=followup_link.link if followup_link else None,
    )


def _send(registration: Registration, template: str, subject: str, **options: object) -> None:
    queue(_compose(registration, template, subject, **options))  # type: ignore[arg-type]


def signup_mail(registration: Registration) -> Mail:
    """The confirmation or waiting-list mail for a registration by its status.

    Composed before the registration is stored (the sign-up renders it outside the event lock),
    so `queue_signup_mail` adds the id once there is one.
    """
    title = registration.event.title
    if registration.status == RegistrationStatus.CONFIRMED:
        return _compose(registration, "registration_confirmed", _("Aanmelding bevestigd: %(title)s", title=title),
                        with_calendar=True, with_ticket=True)
    return _compose(registration, "registration_waitlisted", _("Op de wachtlijst: %(title)s", title=title))


def queue_signup_mail(registration: Registration, mail: Mail) -> None:
    mail.registration_id = registration.id
    queue(mail)


def registration_promoted(registration: Registration) -> None:
    _send(registration, "registration_promoted",
          _("Er is een plaats vrij: u bent aangemeld voor %(title)s", title=registration.event.title),
          with_calendar=True, with_ticket=True)


def registration_cancelled(registration: Registration) -> None:
    _send(registration, "registration_cancelled",
          _("Aanmelding geannuleerd: %(title)s", title=registration.event.title))


def already_registered(registration: Registration) -> None:
    _send(registration, "already_registered",
          _("U was al aangemeld voor %(title)s", title=registration.event.title))


def event_cancelled(event: Event, registration: Registration) -> None:
    _send(registration, "event_cancelled", _("Gaat niet door: %(title)s", title=event.title))


def reminder(registration: Registration) -> None:
    event = registration.event
    _send(registration, "reminder", _("Herinnering: %(title)s", title=event.title), with_ticket=True,
          extra_text=event.reminder_text)


def followup_attended(registration: Registration) -> None:
    event = registration.event
    answers = followup_link_wanted.send(current_app._get_current_object(), registration=registration)
    link = next((answer for _receiver, answer in answers if isinstance(answer, FollowupLink)), None)
    _send(registration, "followup_attended", _("Bedankt voor uw komst: %(title)s", title=event.title),
          extra_text=event.attended_text, followup_link=link)


def followup_no_show(registration: Registration) -> None:
    event = registration.event
    _send(registration, "followup_no_show", _("We hebben u gemist: %(title)s", title=event.title),
          extra_text=event.no_show_text)
