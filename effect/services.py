"""The rules of the evaluation, the knowledge check and the follow-up survey.

Functions take plain values, flush but never commit. One response per registration: every answer
is stored under the registration's row lock, and a part already answered is never overwritten (the
first answer counts), so a form submitted twice, or twice at once, keeps the first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from core.sql import lock_row
from core.timeutils import utcnow
from effect import notifications
from effect.catalogue import KNOWLEDGE, default_measures
from effect.models import DEFAULT_FOLLOWUP_DAYS, MIN_FOLLOWUP_DAYS, EffectResponse, EffectSettings
from events.models import Event, EventStatus, Registration, RegistrationStatus
from events.services.registration import EventBusy
from extensions import db

# The follow-up goes at most this long after it was due (a first deploy, a long outage).
FOLLOWUP_WINDOW = timedelta(days=30)


def _busy() -> Exception:
    return EventBusy(_("Het is erg druk. Probeer het over een paar seconden opnieuw."))


class EffectError(Exception):
    """A form cannot be used; `str(error)` is a Dutch message fit for the person."""


class AlreadyAnswered(EffectError):
    pass


class NotOpen(EffectError):
    pass


@dataclass(frozen=True)
class Settings:
    evaluation_enabled: bool
    measures: list[str]
    knowledge_questions: list[str]
    ask_experience: bool
    followup_days: int
    open_question: str | None
    ask_names: bool = False


@dataclass(frozen=True)
class Evaluation:
    satisfaction: int
    usefulness: int
    intentions: list[str] = field(default_factory=list)
    comment: str | None = None
    knowledge_after: dict[str, int] = field(default_factory=dict)
    experience_consent: bool = False
    experienced: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    respondent_name: str | None = None


def settings_for(event: Event) -> Settings:
    row = db.session.get(EffectSettings, event.id)
    if row is None:
        return Settings(True, default_measures(event.audience), [], True, DEFAULT_FOLLOWUP_DAYS, None)
    return Settings(
        evaluation_enabled=row.evaluation_enabled,
        measures=list(row.measures) if row.measures is not None else default_measures(event.audience),
        knowledge_questions=[key for key in row.knowledge_questions if key in KNOWLEDGE],
        ask_experience=row.ask_experience,
        followup_days=row.followup_days,
        open_question=row.open_question,
        ask_names=row.ask_names,
    )


def save_settings(event: Event, settings: Settings) -> EffectSettings:
    row = db.session.get(EffectSettings, event.id) or EffectSettings(event_id=event.id)
    row.evaluation_enabled = settings.evaluation_enabled
    row.measures = list(settings.measures)
    row.knowledge_questions = list(settings.knowledge_questions)
    row.ask_experience = settings.ask_experience
    row.followup_days = settings.followup_days
    row.open_question = settings.open_question
    row.ask_names = settings.ask_names
    db.session.add(row)
    db.session.flush()
    return row


def response_of(registration_id: int) -> EffectResponse | None:
    return db.session.scalar(sa.select(EffectResponse).where(EffectResponse.registration_id == registration_id))


def _locked_response(registration: Registration) -> EffectResponse:
    """The registration's response, created if need be, under the registration's row lock."""
    lock_row(Registration, registration.id, busy=_busy)
    response = response_of(registration.id)
    if response is None:
        response = EffectResponse(event_id=registration.event_id, registration_id=registration.id)
        db.session.add(response)
    return response


def check_evaluation_open(registration: Registration) -> Settings:
    """The settings, if this registration may fill in the evaluation now; else EffectError."""
    event = registration.event
    settings = settings_for(event)
    if registration.status != RegistrationStatus.CONFIRMED or registration.checked_in_at is None:
        raise NotOpen(_("Deze vragenlijst is alleen voor wie bij de bijeenkomst was."))
    if not settings.evaluation_enabled or event.status != EventStatus.PUBLISHED:
        raise NotOpen(_("Voor deze bijeenkomst is er geen vragenlijst (meer)."))
    response = response_of(registration.id)
    if response is not None and response.evaluated_at is not None:
        raise AlreadyAnswered(_("U heeft deze vragenlijst al ingevuld. Bedankt! Uw eerste antwoorden tellen."))
    return settings


def evaluate(registration: Registration, answers: Evaluation) -> EffectResponse:
    """Stores the evaluation once; AlreadyAnswered when it was in first (this one is dropped)."""
    settings = check_evaluation_open(registration)
    response = _locked_response(registration)
    if response.evaluated_at is not None:
        raise AlreadyAnswered(_("U heeft deze vragenlijst al ingevuld. Bedankt! Uw eerste antwoorden tellen."))
    response.evaluated_at = utcnow()
    response.satisfaction = answers.satisfaction
    response.usefulness = answers.usefulness
    response.intentions = list(answers.intentions)
    response.comment = answers.comment or None
    response.knowledge_after = dict(answers.knowledge_after) or None
    response.experience_consent = answers.experience_consent
    response.experienced = list(answers.experienced) if answers.experience_consent else []
    response.reported = list(answers.reported) if answers.experience_consent else []
    response.respondent_name = (answers.respondent_name or None) if settings.ask_names else None
    db.session.flush()
    return response


def check_knowledge_open(registration: Registration) -> Settings:
    """The settings, if this registration may take the knowledge check before the session now."""
    event = registration.event
    settings = settings_for(event)
    if not settings.knowledge_questions or event.status != EventStatus.PUBLISHED:
        raise NotOpen(_("Voor deze bijeenkomst is er geen kennisvragenlijst."))
    if registration.status == RegistrationStatus.CANCELLED or utcnow() >= event.starts_at:
        raise NotOpen(_("De kennisvragen vooraf kunnen alleen vóór de bijeenkomst worden ingevuld."))
    response = response_of(registration.id)
    if response is not None and response.knowledge_before_at is not None:
        raise AlreadyAnswered(_("U heeft de kennisvragen al beantwoord. Bedankt!"))
    return settings


def answer_knowledge_before(registration: Registration, answers: dict[str, int]) -> EffectResponse:
    check_knowledge_open(registration)
    response = _locked_response(registration)
    if response.knowledge_before_at is not None:
        raise AlreadyAnswered(_("U heeft de kennisvragen al beantwoord. Bedankt!"))
    response.knowledge_before = dict(answers)
    response.knowledge_before_at = utcnow()
    db.session.flush()
    return response


def followup_candidates(now: datetime) -> list[int]:
    """Responses whose follow-up may be due: evaluated with an intention, still linked, not sent."""
    rows = db.session.execute(
        sa.select(EffectResponse.id, EffectResponse.intentions, Event.ends_at, EffectSettings.followup_days)
        .join(Event, Event.id == EffectResponse.event_id)
        .outerjoin(EffectSettings, EffectSettings.event_id == Event.id)
        .where(
            EffectResponse.followup_sent_at.is_(None),
            EffectResponse.evaluated_at.is_not(None),
            EffectResponse.registration_id.is_not(None),
            Event.status == EventStatus.PUBLISHED,
            Event.ends_at <= now - timedelta(days=MIN_FOLLOWUP_DAYS),
        )
        .order_by(EffectResponse.id)
    ).all()
    due = []
    for response_id, intentions, ends_at, days in rows:
        due_at = ends_at + timedelta(days=days or DEFAULT_FOLLOWUP_DAYS)
        if intentions and due_at <= now < due_at + FOLLOWUP_WINDOW:
            due.append(response_id)
    return due


def send_followup(response_id: int, now: datetime) -> bool:
    """Queues the follow-up survey of one response, once: the row lock and `followup_sent_at`,
    set in the transaction that queues the mail, make a second or parallel tick skip it
    (tests/effect/test_followup.py::test_running_the_tick_twice_sends_the_survey_once)."""
    response = lock_row(EffectResponse, response_id, busy=_busy)
    if response.followup_sent_at is not None or response.registration_id is None:
        return False
    registration = db.session.get_one(Registration, response.registration_id)
    notifications.followup_survey(registration, response)
    response.followup_sent_at = now
    db.session.flush()
    return True


def check_followup_open(response: EffectResponse) -> None:
    if response.followup_sent_at is None:
        raise NotOpen(_("Deze vragenlijst is nog niet geopend."))
    if response.followed_up_at is not None:
        raise AlreadyAnswered(_("U heeft deze vragenlijst al ingevuld. Bedankt! Uw eerste antwoorden tellen."))


def answer_followup(response_id: int, actions: list[str]) -> EffectResponse:
    response = lock_row(EffectResponse, response_id, busy=_busy)
    check_followup_open(response)
    response.actions = [key for key in actions if key in response.intentions]
    response.followed_up_at = utcnow()
    db.session.flush()
    return response
