"""Reactions to other packages' signals, connected once at app start (`connect_receivers`).

Neither events nor mailing import campaigns: they announce what happened, campaigns listens.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

from campaigns.models import ConsentSource, ContactAudience
from campaigns.services import consent
from campaigns.services.bounces import apply_report
from events.models import Audience, Registration
from events.services.registration import keep_informed_requested
from extensions import db
from mailing import bounces
from mailing.models import BounceReport, OutgoingMessage
from mailing.worker import message_bounced


def start_opt_in_from_signup(sender: Flask, registration: Registration, **extra: Any) -> None:
    """The "keep me informed" box: the same double opt-in as the subscribe page, in the sign-up's
    own transaction (a rolled-back sign-up mails nothing)."""
    event = registration.event
    consent.request_subscription(event.organisation, consent.Subscription(
        email=registration.email, name=registration.name,
        audience=ContactAudience.SME if event.audience == Audience.SMES else ContactAudience.CITIZEN,
        source=ConsentSource.EVENT_SIGNUP,
    ))


def mark_contact_bounced(sender: Flask, message: OutgoingMessage, report: BounceReport | None = None,
                         **extra: Any) -> None:
    """A report that came back (`mailing.bounces`) is applied in the intake's unit of work. Without
    one the relay refused the address at send time: this runs in the worker, outside any request,
    and keeps that refusal as a report too, in its own short transaction."""
    if report is None:
        report = bounces.store_refusal(message)
        apply_report(report)
        db.session.commit()
        return
    apply_report(report)


def connect_receivers() -> None:
    keep_informed_requested.connect(start_opt_in_from_signup)
    message_bounced.connect(mark_contact_bounced)
