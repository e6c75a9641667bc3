"""effect's answers to events' signals, connected once at app start (`connect_receivers`).

events imports no effect: it announces the thank-you mail and the tick, effect listens.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext as _

from effect import services
from effect.cli import send_due_followups
from effect.forms import knowledge_from_fields, signup_knowledge_fields
from effect.notifications import evaluation_link
from events.forms.public import SignupSection
from events.models import Event, EventStatus, Registration
from events.signals import followup_link_wanted, signed_up, signup_section_wanted, ticked


def knowledge_on_signup(_app: Flask, event: Event) -> SignupSection | None:
    """The knowledge check "before" on the sign-up form, where the organiser chose questions."""
    settings = services.settings_for(event)
    if not settings.knowledge_questions or event.status != EventStatus.PUBLISHED:
        return None
    return SignupSection(
        heading=_("Vooraf: een paar korte kennisvragen (niet verplicht)"),
        intro=_("Na de bijeenkomst stellen we dezelfde vragen nog eens, zodat we zien wat de bijeenkomst oplevert. "
                "Uw antwoorden gebruiken we alleen samengeteld. U kunt ze overslaan."),
        fields=signup_knowledge_fields(settings),
    )


def store_knowledge_before(_app: Flask, registration: Registration, answers: dict[str, Any]) -> None:
    """Stores what the person answered as "before", paired with the evaluation's "after"; nothing
    when they skipped the questions or had already answered (a repeated sign-up changes nothing)."""
    given = knowledge_from_fields(answers)
    if not given:
        return
    try:
        services.answer_knowledge_before(registration, given)
    except services.EffectError:
        return  # already answered, or the check closed: the sign-up itself stands


def connect_receivers() -> None:
    followup_link_wanted.connect(evaluation_link)
    ticked.connect(send_due_followups)
    signup_section_wanted.connect(knowledge_on_signup)
    signed_up.connect(store_knowledge_before)
