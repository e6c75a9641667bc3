"""The mails about registrations and events, put in the outbox inside the business transaction."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from flask import current_app
from flask_babel import gettext as _

from accounts.branding import organisation_branding, organisation_sender
from core.links import absolute_url
from events import ics
from events.models import Event, Registration, RegistrationStatus
from events.online import is_online_only, link_for, link_held_back
from events.signals import followup_link_wanted
from events.tickets import CONTENT_ID, ticket_png
from events.tokens import manage_url
from extensions import db
from mailing.outbox import Attachment, Mail, composer, composition, queue
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


CALENDAR_FILES = {ics.Method.REQUEST: "uitnodiging.ics", ics.Method.CANCEL: "annulering.ics"}


def calendar_entry(registration: Registration) -> ics.Entry:
    """The event as this person's calendar shows it: with the online link once they may have it."""
    return ics.Entry(registration.event, event_url(registration.event), link_for(registration))


def _calendar(registration: Registration, method: ics.Method) -> Attachment:
    """The iTIP message (RFC 5546) for this person; the charset because titles hold é, ë and €."""
    sender = organisation_sender(registration.event.organisation)
    calendar_file = ics.invitation(calendar_entry(registration), calendar_domain(), method,
                                   organiser=ics.Person(sender.name, sender.address),
                                   attendee=ics.Person(registration.name, registration.email))
    content_type = f"text/calendar; charset=utf-8; method={method.value}"
    return Attachment(CALENDAR_FILES[method], content_type, calendar_file)


def _ticket(registration: Registration) -> Attachment:
    return Attachment("toegangsbewijs.png", "image/png", ticket_png(registration), content_id=CONTENT_ID)


def paragraphs(text: str | None) -> list[str]:
    """An organiser's extra text as paragraphs (blank lines between them), each escaped in the mail."""
    return [" ".join(part.split()) for part in (text or "").split("\n\n") if part.strip()]


def _compose(registration: Registration, template: str, subject: str, *, calendar: ics.Method | None = None,
             with_ticket: bool = False, with_link: bool = False, extra_text: str | None = None,
             followup_link: FollowupLink | None = None, changes: list[str] | None = None) -> Mail:
    """One mail to one registrant. `with_link`: the mail may carry the online link (only when this
    person may have it now, see events/online.py); an online-only event has no ticket to scan."""
    event = registration.event
    with_ticket = with_ticket and not is_online_only(event)
    attachments = ([_calendar(registration, calendar)] if calendar else []) + (
        [_ticket(registration)] if with_ticket else [])
    context = {
        "registration": registration,
        "event": event,
        "branding": organisation_branding(event.organisation),
        "manage_url": manage_url(registration),
        "event_url": event_url(event),
        "extra_paragraphs": paragraphs(extra_text),
        "followup_link": followup_link,
        "followup_url": placeholder() if followup_link else None,
        "with_ticket": with_ticket,
        "online_link": link_for(registration) if with_link else None,
        "link_follows": with_link and link_held_back(registration),
        "has_calendar": calendar == ics.Method.REQUEST,
        "changes": changes or [],
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
    if registration.email is None:  # a walk-in who gave only a name
        return
    queue(_compose(registration, template, subject, **options))  # type: ignore[arg-type]


SIGNUP_COMPOSER = "events.signup"


def signup_mail(registration: Registration) -> Mail:
    """The confirmation or waiting-list mail for a registration by its status."""
    if registration.status == RegistrationStatus.CONFIRMED:
        return _compose(registration, "registration_confirmed", _signup_subject(registration),
                        calendar=ics.Method.REQUEST, with_ticket=True, with_link=True)
    return _compose(registration, "registration_waitlisted", _signup_subject(registration))


def _signup_subject(registration: Registration) -> str:
    title = registration.event.title
    if registration.status == RegistrationStatus.CONFIRMED:
        return _("Aanmelding bevestigd: %(title)s", title=title)
    return _("Op de wachtlijst: %(title)s", title=title)


def queue_signup_mail(registration: Registration) -> None:
    """Queues `signup_mail` to be composed by the mail worker as it is sent, in the person's
    language: its MJML layout, QR ticket and .ics cost more than the rest of the sign-up."""
    if registration.email is None:  # a walk-in who gave only a name
        return
    event = registration.event
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    queue(Mail(
        to_address=registration.email,
        to_name=registration.name,
        subject=_signup_subject(registration),
        text_body="",
        template="registration_confirmed" if confirmed else "registration_waitlisted",
        sender=organisation_sender(event.organisation),
        organisation_id=event.organisation_id,
        registration_id=registration.id,
        composition=composition(SIGNUP_COMPOSER, registration_id=registration.id,
                                status=registration.status.value),
    ))


@composer(SIGNUP_COMPOSER)
def _composed_signup_mail(args: dict[str, object]) -> Mail | None:
    """None when the mail no longer says what is true: the registration was cancelled (or
    promoted from the waiting list, which has its own mail) before the worker got to it."""
    registration = db.session.get(Registration, args["registration_id"])
    if registration is None or registration.status.value != args["status"]:
        return None
    return signup_mail(registration)


def registration_promoted(registration: Registration) -> None:
    _send(registration, "registration_promoted",
          _("Er is een plaats vrij: u bent aangemeld voor %(title)s", title=registration.event.title),
          calendar=ics.Method.REQUEST, with_ticket=True, with_link=True)


def registration_cancelled(registration: Registration) -> None:
    _send(registration, "registration_cancelled",
          _("Aanmelding geannuleerd: %(title)s", title=registration.event.title), calendar=ics.Method.CANCEL)


def already_registered(registration: Registration) -> None:
    _send(registration, "already_registered",
          _("U was al aangemeld voor %(title)s", title=registration.event.title), with_link=True)


def event_cancelled(event: Event, registration: Registration) -> None:
    _send(registration, "event_cancelled", _("Gaat niet door: %(title)s", title=event.title),
          calendar=ics.Method.CANCEL)


def event_updated(registration: Registration, changes: list[str]) -> None:
    """Time, place or link changed: the new details and a calendar update (same UID, higher SEQUENCE).

    Someone on the waiting list has no calendar entry and no link yet: they get the new details only,
    so that they can step off the list if the new moment or place no longer suits them."""
    seated = registration.status == RegistrationStatus.CONFIRMED
    _send(registration, "event_updated", _("Gewijzigd: %(title)s", title=registration.event.title),
          calendar=ics.Method.REQUEST if seated else None, with_link=seated, changes=changes)


def online_link(registration: Registration) -> None:
    """The link that was held back, when the reminder went before it was given out."""
    _send(registration, "online_link", _("De link voor %(title)s", title=registration.event.title),
          calendar=ics.Method.REQUEST, with_link=True)


def reminder(registration: Registration) -> None:
    event = registration.event
    _send(registration, "reminder", _("Herinnering: %(title)s", title=event.title), with_ticket=True,
          with_link=True, extra_text=event.reminder_text)


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
