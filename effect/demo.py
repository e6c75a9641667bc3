"""Demo answers for a held event (`flask demo load`): evaluations, knowledge checks, follow-ups.

The same every time (seeded per event), and written as history: no mail is queued.
"""
from __future__ import annotations

import random
from datetime import timedelta

from core.timeutils import utcnow
from effect.catalogue import INCIDENTS, KNOWLEDGE, REPORTED, default_measures
from effect.models import DEFAULT_FOLLOWUP_DAYS, EffectResponse, EffectSettings
from events.models import Audience, Event, Registration
from extensions import db

QUESTIONS = ["bank_sms", "two_step", "new_number", "updates"]


def answer_for_event(event: Event, attendees: list[Registration], seed: int) -> None:
    """About three in four attendees answer; knowledge is better after than before; a follow-up
    for events held longer than its delay ago, where about half of the plans were carried out."""
    if event.audience == Audience.PARTNERS:
        db.session.add(EffectSettings(event=event, evaluation_enabled=False, knowledge_questions=[]))
        return
    db.session.add(EffectSettings(event=event, knowledge_questions=QUESTIONS))
    chance = random.Random(seed)
    measures = default_measures(event.audience)
    followup_due = event.ends_at + timedelta(days=DEFAULT_FOLLOWUP_DAYS) <= utcnow()
    for registration in attendees:
        if chance.random() > 0.75:
            continue
        intentions = chance.sample(measures, chance.randint(1, 3))
        experienced = chance.sample(list(INCIDENTS), chance.choice([0, 0, 1, 1, 2]))
        response = EffectResponse(
            event=event, registration_id=registration.id,
            knowledge_before=_knowledge(chance, 0.45) if chance.random() < 0.8 else None,
            knowledge_before_at=event.starts_at - timedelta(days=3),
            evaluated_at=event.ends_at + timedelta(hours=chance.randint(4, 60)),
            satisfaction=chance.choice([3, 4, 4, 4, 5, 5]), usefulness=chance.choice([3, 4, 4, 5, 5]),
            intentions=intentions, knowledge_after=_knowledge(chance, 0.8),
            experience_consent=chance.random() < 0.6,
        )
        if response.experience_consent:
            response.experienced = experienced
            response.reported = [key for key in REPORTED if experienced and chance.random() < 0.4]
        if followup_due:
            response.followup_sent_at = event.ends_at + timedelta(days=DEFAULT_FOLLOWUP_DAYS)
            if chance.random() < 0.7:
                response.followed_up_at = response.followup_sent_at + timedelta(days=2)
                response.actions = [key for key in intentions if chance.random() < 0.55]
        db.session.add(response)


def _knowledge(chance: random.Random, right: float) -> dict[str, int]:
    return {key: KNOWLEDGE[key].correct if chance.random() < right else (KNOWLEDGE[key].correct + 1) % 3
            for key in QUESTIONS}
