"""Registrations under the AVG duties: anonymised after the retention period, exported and erased per address.

Registered with `core.privacy` in `app.py`. Anonymising keeps the row, its status and its dates
(created, cancelled, checked in), so attendance and sign-up counts stay the same; the mail copies
about the registration are anonymised with it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from core.privacy import ANONYMOUS_NAME, PersonalData, Scope, anonymous_email, is_anonymous
from events.models import Event, Question, Registration
from extensions import db
from mailing.models import OutgoingMessage
from mailing.privacy import anonymise_messages


def _not_anonymised() -> sa.ColumnElement[bool]:
    """A walk-in with just a name has no address yet is not anonymised until it gets the placeholder."""
    return sa.or_(Registration.email.is_(None), ~is_anonymous(Registration.email))


def anonymise_registrations(*conditions: sa.ColumnElement[bool]) -> int:
    """Replaces the personal fields (and both link tokens) of the matching registrations; counts them."""
    pending = sa.select(Registration.id).where(*conditions, _not_anonymised())
    anonymise_messages(OutgoingMessage.registration_id.in_(pending))
    placeholder = anonymous_email(Registration.id)
    result = db.session.execute(
        sa.update(Registration).where(*conditions, _not_anonymised()).values(
            name=ANONYMOUS_NAME, email=placeholder, company_name=None, phone=None, answers={},
            keep_informed=False, manage_token=placeholder, checkin_code=placeholder,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.expire_all()
    return result.rowcount


def _events_where(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    return Registration.event_id.in_(sa.select(Event.id).where(*conditions))


def _in_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    return [] if scope is None else [_events_where(Event.organisation_id.in_(scope))]


def purge(organisation_id: int, cutoff: datetime) -> int:
    return anonymise_registrations(_events_where(Event.organisation_id == organisation_id, Event.ends_at < cutoff))


def erase(email: str, scope: Scope) -> int:
    return anonymise_registrations(Registration.email == email, *_in_scope(scope))


def export(email: str, scope: Scope) -> list[dict[str, Any]]:
    query = (sa.select(Registration).where(Registration.email == email, *_in_scope(scope))
             .options(joinedload(Registration.event)).order_by(Registration.created_at, Registration.id))
    registrations = list(db.session.scalars(query))
    labels = _question_labels({registration.event_id for registration in registrations})
    return [_exported(registration, labels) for registration in registrations]


def _question_labels(event_ids: set[int]) -> dict[str, str]:
    if not event_ids:
        return {}
    questions = db.session.execute(sa.select(Question.id, Question.label).where(Question.event_id.in_(event_ids)))
    return {str(question_id): label for question_id, label in questions}


def _exported(registration: Registration, labels: dict[str, str]) -> dict[str, Any]:
    event = registration.event
    return {
        "event": {"id": event.id, "title": event.title, "organisation_id": event.organisation_id,
                  "starts_at": event.starts_at.isoformat()},
        "name": registration.name,
        "email": registration.email,
        "company_name": registration.company_name,
        "phone": registration.phone,
        "answers": {labels.get(key, key): value for key, value in (registration.answers or {}).items()},
        "status": registration.status.value,
        "keep_informed": registration.keep_informed,
        "source": registration.source,
        "created_at": registration.created_at.isoformat(),
        "cancelled_at": registration.cancelled_at.isoformat() if registration.cancelled_at else None,
        "checked_in_at": registration.checked_in_at.isoformat() if registration.checked_in_at else None,
    }


REGISTRATIONS = PersonalData("registrations", purge=purge, export=export, erase=erase)
