"""Effect answers under the AVG duties.

The answers themselves are kept: once cut from the registration they are anonymous records. What
can tie them to a person is the link to the registration, the free text and, where the organiser
asked for it, the name; the retention purge and an erasure cut the one and blank the others.
The export shows what is still linked.
Registered before the registrations (app.py): an erasure finds the answers by the address the
registration still has.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from core.privacy import PersonalData, Scope
from core.timeutils import utcnow
from effect.models import EffectResponse, EffectSettings
from events.models import Event, Registration
from extensions import db

STATEMENT_DAYS = 180  # events that ended longer ago no longer ask anything


def _cut(*conditions: sa.ColumnElement[bool]) -> int:
    result = db.session.execute(
        sa.update(EffectResponse)
        .where(EffectResponse.registration_id.is_not(None), *conditions)
        .values(registration_id=None, comment=None, respondent_name=None),
        execution_options={"synchronize_session": False},
    )
    db.session.expire_all()
    return result.rowcount


def _of_address(email: str, scope: Scope) -> sa.Select:
    query = sa.select(Registration.id).where(Registration.email == email)
    if scope is not None:
        query = query.join(Event, Event.id == Registration.event_id).where(Event.organisation_id.in_(scope))
    return query


def purge(organisation_id: int, cutoff: datetime) -> int:
    ended = sa.select(Event.id).where(Event.organisation_id == organisation_id, Event.ends_at < cutoff)
    return _cut(EffectResponse.event_id.in_(ended))


def erase(email: str, scope: Scope) -> int:
    return _cut(EffectResponse.registration_id.in_(_of_address(email, scope)))


def export(email: str, scope: Scope) -> list[dict[str, Any]]:
    responses = db.session.scalars(
        sa.select(EffectResponse).where(EffectResponse.registration_id.in_(_of_address(email, scope)))
        .order_by(EffectResponse.id)
    )
    return [{"event_id": response.event_id, "registration_id": response.registration_id, **response.answers()}
            for response in responses]


def statement(organisation_id: int) -> list[str]:
    """What the privacy statement must say: the upcoming or recent events whose evaluation asks names."""
    titles = list(db.session.scalars(
        sa.select(Event.title).join(EffectSettings, EffectSettings.event_id == Event.id)
        .where(Event.organisation_id == organisation_id, EffectSettings.ask_names.is_(True),
               Event.ends_at > utcnow() - timedelta(days=STATEMENT_DAYS))
        .order_by(Event.starts_at)
    ))
    if not titles:
        return []
    return [_("Bij deze bijeenkomsten vraagt de vragenlijst na afloop ook om uw naam (niet verplicht): %(titles)s. "
              "Vult u die in, dan zijn uw antwoorden persoonsgegevens: u kunt ze opvragen en laten wissen, en de naam "
              "wordt gewist als de bewaartermijn voorbij is.", titles=", ".join(titles))]


EFFECT = PersonalData("effect", purge=purge, export=export, erase=erase, statement=statement)
