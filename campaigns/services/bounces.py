"""What a bounce or complaint means for a contact and its campaign (reports come from `mailing.bounces`).

Per organisation: a report only ever changes a contact of the organisation whose outbox row it names.
A hard bounce marks the contact bounced at once; soft bounces after BOUNCE_SOFT_LIMIT within
BOUNCE_SOFT_DAYS; a complaint unsubscribes the contact and marks it complained. A campaign pauses
itself when more than BOUNCE_PAUSE_RATE of its first BOUNCE_PAUSE_WINDOW messages bounce hard.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from campaigns.models import Campaign, CampaignStatus, Contact, ContactStatus
from campaigns.services import consent, sending
from core.timeutils import utcnow
from extensions import db
from mailing.models import BounceKind, BounceReport, MessageKind, MessageStatus, OutgoingMessage

log = logging.getLogger(__name__)
# Stored in Campaign.paused_reason as "hard-bounces:<hard>:<of>"; the page says it in words.
AUTO_PAUSE_PREFIX = "hard-bounces"


@dataclass(frozen=True)
class AutoPause:
    hard: int
    of: int


def auto_pause_of(campaign: Campaign) -> AutoPause | None:
    parts = (campaign.paused_reason or "").split(":")
    if len(parts) != 3 or parts[0] != AUTO_PAUSE_PREFIX:
        return None
    return AutoPause(int(parts[1]), int(parts[2]))


def apply_report(report: BounceReport) -> None:
    """Flushes, never commits (the intake's unit of work does)."""
    contact = db.session.get(Contact, report.contact_id) if report.contact_id else None
    if contact is not None and contact.organisation_id != report.organisation_id:
        log.warning("bounce report %s: contact %s is not of the message's organisation; ignored",
                    report.id, contact.id)
        return
    if contact is not None:
        if report.kind == BounceKind.COMPLAINT:
            complain(contact, report.campaign_id)
        elif report.kind == BounceKind.HARD or _soft_bounces(contact.id) >= current_app.config["BOUNCE_SOFT_LIMIT"]:
            mark_bounced(contact)
    if report.kind == BounceKind.HARD and report.campaign_id:
        pause_if_bouncing(report.campaign_id)
    db.session.flush()


def _soft_bounces(contact_id: int) -> int:
    since = utcnow() - timedelta(days=current_app.config["BOUNCE_SOFT_DAYS"])
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(BounceReport)
        .where(BounceReport.contact_id == contact_id, BounceReport.kind == BounceKind.SOFT,
               BounceReport.received_at >= since)
    ) or 0


def mark_bounced(contact: Contact) -> None:
    """No campaign tries the address again; a complaint stays a complaint."""
    if contact.status in (ContactStatus.BOUNCED, ContactStatus.COMPLAINED):
        return
    contact.status = ContactStatus.BOUNCED
    contact.bounced_at = utcnow()
    contact.confirm_nonce = None
    _cancel_queued_campaign_mail(contact, "contact bounced")


def complain(contact: Contact, campaign_id: int | None) -> None:
    """A spam complaint: unsubscribed (for the campaign it came from) and marked complained."""
    if contact.status == ContactStatus.COMPLAINED:
        return
    consent.unsubscribe(contact, campaign_id)
    contact.status = ContactStatus.COMPLAINED
    contact.unsubscribed_at = contact.unsubscribed_at or utcnow()
    _cancel_queued_campaign_mail(contact, "contact complained")


def _cancel_queued_campaign_mail(contact: Contact, reason: str) -> None:
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.contact_id == contact.id, OutgoingMessage.kind == MessageKind.CAMPAIGN,
               OutgoingMessage.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.CANCELLED, last_error=reason)
        .execution_options(synchronize_session=False)
    )


def pause_if_bouncing(campaign_id: int) -> bool:
    """Pauses a sending campaign once when too many of its first messages bounced hard."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.SENDING or campaign.paused_reason:
        return False
    window = current_app.config["BOUNCE_PAUSE_WINDOW"]
    first = (sa.select(OutgoingMessage.id).where(OutgoingMessage.campaign_id == campaign_id)
             .order_by(OutgoingMessage.id).limit(window).subquery())
    of = db.session.scalar(sa.select(sa.func.count()).select_from(first)) or 0
    hard = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(BounceReport.message_id)))
        .where(BounceReport.kind == BounceKind.HARD, BounceReport.message_id.in_(sa.select(first.c.id)))
    ) or 0
    if not of or hard <= current_app.config["BOUNCE_PAUSE_RATE"] * of:
        return False
    try:
        sending.pause(campaign_id)
    except sending.CampaignError as error:  # paused or stopped meanwhile by an officer
        log.info("campaign %s not paused for bounces: %s", campaign_id, error)
        return False
    campaign.paused_reason = f"{AUTO_PAUSE_PREFIX}:{hard}:{of}"
    log.warning("campaign %s paused itself: %s of its first %s messages bounced hard", campaign_id, hard, of)
    return True


def reports_for(contact: Contact) -> list[tuple[BounceReport, Campaign | None]]:
    """The evidence on the contact page and in the privacy export, newest first."""
    rows = db.session.execute(
        sa.select(BounceReport, Campaign)
        .outerjoin(Campaign, sa.and_(Campaign.id == BounceReport.campaign_id,
                                     Campaign.organisation_id == contact.organisation_id))
        .where(BounceReport.contact_id == contact.id, BounceReport.organisation_id == contact.organisation_id)
        .order_by(BounceReport.received_at.desc(), BounceReport.id.desc())
    )
    return [(report, campaign) for report, campaign in rows]
