"""Per campaign: what the outbox did, who left, and the funnel campaign -> sign-up -> attended."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from campaigns.models import Campaign, Contact, ContactStatus
from campaigns.services.ab_test import source_tags
from campaigns.services.bounces import AutoPause, auto_pause_of
from campaigns.services.sending import progress
from events.models import Event, Registration, RegistrationStatus
from extensions import db
from mailing.models import BounceKind, BounceReport, MessageStatus, OutgoingMessage


@dataclass(frozen=True)
class CampaignStatistics:
    queued: int
    sent: int
    failed: int
    cancelled: int
    bounced: int
    unsubscribed: int
    registrations: int
    attended: int
    hard_bounces: int = 0
    soft_bounces: int = 0
    complaints: int = 0
    auto_pause: AutoPause | None = None

    @property
    def left(self) -> int:
        """Messages that went to the relay (a send-time refusal too): the base of the rates."""
        return self.sent + self.failed

    def rate(self, count: int) -> float:
        """A percentage of the messages that left, as Gmail and Yahoo count complaint rates."""
        return round(100 * count / self.left, 2) if self.left else 0.0


def statistics(campaign: Campaign) -> CampaignStatistics:
    counts = progress(campaign).counts
    bounced = db.session.scalar(
        sa.select(sa.func.count()).select_from(OutgoingMessage)
        .join(Contact, Contact.id == OutgoingMessage.contact_id)
        .where(OutgoingMessage.campaign_id == campaign.id, OutgoingMessage.status == MessageStatus.FAILED,
               Contact.status == ContactStatus.BOUNCED)
    ) or 0
    unsubscribed = db.session.scalar(
        sa.select(sa.func.count()).where(Contact.unsubscribed_campaign_id == campaign.id)
    ) or 0
    registrations, attended = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(Registration.checked_in_at)).join(Event)
        .where(Registration.source.in_(source_tags(campaign)), Registration.status != RegistrationStatus.CANCELLED,
               Event.organisation_id == campaign.organisation_id)
    ).one()
    reports = dict(db.session.execute(
        sa.select(BounceReport.kind, sa.func.count(sa.distinct(BounceReport.message_id)))
        .where(BounceReport.campaign_id == campaign.id, BounceReport.organisation_id == campaign.organisation_id)
        .group_by(BounceReport.kind)
    ).all())
    return CampaignStatistics(
        queued=counts[MessageStatus.QUEUED] + counts[MessageStatus.SENDING], sent=counts[MessageStatus.SENT],
        failed=counts[MessageStatus.FAILED], cancelled=counts[MessageStatus.CANCELLED], bounced=bounced,
        unsubscribed=unsubscribed, registrations=registrations or 0, attended=attended or 0,
        hard_bounces=reports.get(BounceKind.HARD, 0), soft_bounces=reports.get(BounceKind.SOFT, 0),
        complaints=reports.get(BounceKind.COMPLAINT, 0), auto_pause=auto_pause_of(campaign),
    )
