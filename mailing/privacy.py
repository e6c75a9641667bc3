"""Outbox copies under the AVG duties: kept for the retention period, exported and erased per address.

Registered with `core.privacy` in `app.py`. Copies of mails about a registration follow their
registration (`events.privacy`); this module purges the others (account mails, later
campaign mails) once they are older than the organisation's retention period.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.privacy import ANONYMOUS_DOMAIN, ANONYMOUS_NAME, PersonalData, Scope, is_anonymous
from extensions import db
from mailing.models import MessageStatus, OutgoingAttachment, OutgoingMessage
from mailing.services import bodies

ANONYMOUS_ADDRESS = f"anoniem@{ANONYMOUS_DOMAIN}"


def anonymise_messages(*conditions: sa.ColumnElement[bool]) -> int:
    """Blanks addresses, names, bodies, headers and attachments of the matching copies; counts them.

    A queued copy is cancelled first (it must never go out to the placeholder address); one being
    sent right now is left for the next run.
    """
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(*conditions, OutgoingMessage.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.CANCELLED),
        execution_options={"synchronize_session": False},
    )
    pending = sa.and_(*conditions, OutgoingMessage.status != MessageStatus.SENDING,
                      ~is_anonymous(OutgoingMessage.to_address))
    db.session.execute(
        sa.delete(OutgoingAttachment)
        .where(OutgoingAttachment.message_id.in_(sa.select(OutgoingMessage.id).where(pending))),
        execution_options={"synchronize_session": False},
    )
    result = db.session.execute(
        sa.update(OutgoingMessage).where(pending).values(
            to_address=ANONYMOUS_ADDRESS, to_name=None, subject=ANONYMOUS_NAME, text_body="", html_body=None,
            headers={}, context=sa.null(), composer=sa.null(), last_error=None, smtp_response=None,
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.expire_all()
    return result.rowcount


def _in_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    return [] if scope is None else [OutgoingMessage.organisation_id.in_(scope)]


def _to(email: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(OutgoingMessage.to_address) == email


def purge(organisation_id: int, cutoff: datetime) -> int:
    return anonymise_messages(OutgoingMessage.organisation_id == organisation_id,
                              OutgoingMessage.registration_id.is_(None), OutgoingMessage.created_at < cutoff)


def export(email: str, scope: Scope) -> list[dict[str, Any]]:
    query = (sa.select(OutgoingMessage).where(_to(email), *_in_scope(scope))
             .order_by(OutgoingMessage.created_at, OutgoingMessage.id))
    return [
        {
            "created_at": message.created_at.isoformat(),
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            "status": message.status.value,
            "template": message.template,
            "to_address": message.to_address,
            "to_name": message.to_name,
            "from_address": message.from_address,
            "subject": message.subject,
            "text_body": bodies(message).text,
        }
        for message in db.session.scalars(query)
    ]


def erase(email: str, scope: Scope) -> int:
    return anonymise_messages(_to(email), *_in_scope(scope))


OUTBOX = PersonalData("outbox", purge=purge, export=export, erase=erase)
