"""What a person does with their own registration through the manage link: correct their details.

Cancelling is `registration.cancel_registration`; the e-mail address cannot be changed here: it is
where the manage link goes and what makes a registration unique per event, so a new address would
first have to prove it is the person's own (a confirmation mail); until then they cancel and sign up
again with the other address.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from core.timeutils import utcnow
from events.models import EventStatus, Registration, RegistrationStatus
from events.services.registration import RegistrationClosed, lock_event
from extensions import db


@dataclass(frozen=True)
class DetailsData:
    name: str
    company_name: str | None
    phone: str | None
    answers: dict[str, Any]


def editing_closed_reason(registration: Registration) -> str | None:
    """Why the person may not change their details now, or None: until registration closes."""
    event = registration.event
    if registration.status == RegistrationStatus.CANCELLED:
        return _("Deze aanmelding is geannuleerd.")
    if event.status == EventStatus.CANCELLED:
        return _("Deze bijeenkomst gaat niet door.")
    if utcnow() >= (event.registration_closes_at or event.starts_at):
        return _("Aanmelden is gesloten; uw gegevens wijzigen kan niet meer. Neem contact op met de organisator.")
    return None


def update_own_details(registration: Registration, data: DetailsData) -> None:
    """Stores the corrected details. Under the event lock, like a cancellation at the same moment,
    so an edit never revives a registration that was just cancelled. Answers to questions that have
    left the form are kept."""
    lock_event(registration.event_id)
    db.session.refresh(registration)
    reason = editing_closed_reason(registration)
    if reason:
        raise RegistrationClosed(reason)
    registration.name = data.name
    registration.company_name = data.company_name
    registration.phone = data.phone
    registration.answers = {**(registration.answers or {}), **data.answers}
    db.session.flush()
