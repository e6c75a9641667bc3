"""Events that were held, attendees, and the links their mails carry as the worker sends them."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from core.timeutils import utcnow
from effect.models import EffectResponse, EffectSettings
from events.models import Event, Registration
from extensions import db
from tests.factories import as_sent, make_event, make_organisation, make_registration, outbox

KNOWLEDGE_KEYS = ["bank_sms", "two_step", "new_number"]
# The right option of each of KNOWLEDGE_KEYS, and a wrong one
RIGHT = {"bank_sms": 1, "two_step": 1, "new_number": 2}
WRONG = {"bank_sms": 0, "two_step": 0, "new_number": 0}


def held_event(hours_ago: float = 3, **fields: object) -> Event:
    return make_event(fields.pop("organisation", None) or make_organisation(),
                      starts_at=utcnow() - timedelta(hours=hours_ago + 2), **fields)


def attendee(event: Event, **fields: object) -> Registration:
    return make_registration(event, checked_in_at=event.starts_at + timedelta(minutes=5), **fields)


def with_settings(event: Event, **fields: object) -> EffectSettings:
    settings = EffectSettings(event_id=event.id, **({"knowledge_questions": [], "evaluation_enabled": True,
                                                     "ask_experience": True, "followup_days": 91} | fields))
    db.session.add(settings)
    db.session.commit()
    return settings


def tick(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["events", "tick"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def link_in(template: str, to_address: str, path: str) -> str:
    """The link the recipient gets (minted as the mail leaves), as a path for the test client."""
    (message,) = [mail for mail in outbox(template) if mail.to_address == to_address]
    match = re.search(rf"http://localhost(/{path}/[A-Za-z0-9_.-]+)", as_sent(message).text)
    assert match, as_sent(message).text
    return match[1]


def responses() -> list[EffectResponse]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(EffectResponse).order_by(EffectResponse.id)))


def evaluation_answers(**fields: object) -> dict[str, object]:
    return {"satisfaction": "4", "usefulness": "5", "intentions": ["two_step", "backups"], "comment": "Goed verteld"} | fields
