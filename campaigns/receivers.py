"""Reactions to other packages' signals, connected once at app start (`connect_receivers`).

Neither events nor mailing import campaigns: they announce what happened, campaigns listens.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

from campaigns.models import ConsentSource, ContactAudience
from campaigns.services import consent, sending
from campaigns.services.bounces import apply_report
from events.models import Audience, Registration
from events.signals import keep_informed_requested
from mailing import bounces
from mailing.models import BounceReport, OutgoingMessage
from mailing.signals import campaign_rows_settled, message_bounced


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
    one the relay refused the address at send time: this runs in the worker, in the unit of work the
    worker opens for it, and keeps that refusal as a report too."""
    if report is None:
        report = bounces.store_refusal(message)
    apply_report(report)


def mark_campaign_sent(sender: Flask, campaign_id: int, **extra: Any) -> None:
    """The worker settled the campaign's last row (in a unit of work of its own): the campaign is sent."""
    sending.finish_sent([campaign_id])


def connect_receivers() -> None:
    keep_informed_requested.connect(start_opt_in_from_signup)
    message_bounced.connect(mark_contact_bounced)
    campaign_rows_settled.connect(mark_campaign_sent)
