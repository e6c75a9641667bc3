"""Launching, scheduling, pausing, resuming and cancelling a campaign.

Launching writes one outbox row per recipient with its personalised bodies, in bulk: contacts are
read in chunks and inserted with one executemany per chunk (no ORM object per row), and
UNIQUE(campaign_id, contact_id) with ON CONFLICT DO NOTHING makes a second write of the same
recipient a no-op. The campaign row is locked first, so a double-click launches once.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from accounts.models import Organisation
from campaigns import tokens
from campaigns.models import Campaign, CampaignStatus
from campaigns.services import clicks
from campaigns.services.audiences import AudienceDefinition, recipients
from campaigns.services.campaigns import (
    CampaignError,
    blocking_findings,
    campaign_links,
    event_values,
    mail_context,
)
from extensions import db
from mailing.models import MessageKind, MessageStatus, OutgoingMessage
from mailing.outbox import header_safe, new_message_id
from mailing.personalise import compile_mail, personalise
from timeutils import utcnow

CHUNK_SIZE = 1000
TEMPLATE_NAME = "campaign"
LAUNCHABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
# last_error of the rows a pause holds back, so that resume gives back exactly those.
PAUSED_MARK = "campaign paused"


class CampaignBusy(CampaignError):
    pass


@dataclass(frozen=True)
class Progress:
    status: CampaignStatus
    counts: dict[MessageStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts[MessageStatus.SENT] + self.counts[MessageStatus.FAILED]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def lock_campaign(campaign_id: int) -> Campaign:
    """The campaign row, locked until commit: launch, pause, resume and cancel are one at a time.

    PostgreSQL: SELECT ... FOR UPDATE (a second click waits, then sees the new status). SQLite has
    one writer: a no-op UPDATE takes the write lock before the status is read.
    """
    try:
        if db.engine.dialect.name == "postgresql":
            seconds = int(current_app.config["LOCK_TIMEOUT_SECONDS"])
            db.session.execute(sa.text(f"SET LOCAL lock_timeout = '{seconds}s'"))
            query = sa.select(Campaign).where(Campaign.id == campaign_id).with_for_update()
            return db.session.execute(query.execution_options(populate_existing=True)).scalar_one()
        db.session.execute(sa.update(Campaign).where(Campaign.id == campaign_id).values(id=Campaign.id)
                           .execution_options(synchronize_session=False))
        return db.session.get_one(Campaign, campaign_id, populate_existing=True)
    except OperationalError as error:
        db.session.rollback()
        raise CampaignBusy(_("Er wordt al iets met deze campagne gedaan. Probeer het zo opnieuw.")) from error


def launch(campaign_id: int) -> int:
    """Queues the campaign for every recipient at this moment; returns the number of rows written."""
    campaign = _launchable(campaign_id)
    written = write_outbox_rows(campaign)
    campaign.status = CampaignStatus.SENDING
    campaign.launched_at = utcnow()
    campaign.scheduled_at = None
    db.session.flush()
    return written


def launch_soon(campaign_id: int) -> None:
    """For an audience too large to write within a web request: due now, so the next
    `flask campaigns tick` (every minute) launches it."""
    campaign = _launchable(campaign_id)
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = utcnow()
    db.session.flush()


def _launchable(campaign_id: int) -> Campaign:
    campaign = lock_campaign(campaign_id)
    if campaign.status not in LAUNCHABLE:
        raise CampaignError(_("Deze campagne is al gestart."))
    _refuse_blocking_findings(campaign)
    return campaign


def _refuse_blocking_findings(campaign: Campaign) -> None:
    problems = blocking_findings(campaign)
    if problems:
        raise CampaignError(" ".join(finding.message for finding in problems))


def write_outbox_rows(campaign: Campaign) -> int:
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    compiled = compile_mail(campaign.mjml_source)
    events = event_values(campaign)
    redirects = clicks.register_links(campaign, campaign_links(campaign)) if campaign.track_clicks else {}
    insert = _insert_ignoring_duplicates()
    audience = recipients(campaign.organisation_id, AudienceDefinition.of(campaign))
    # A server-side cursor on PostgreSQL: memory stays flat however large the audience.
    for chunk in _chunks(db.session.execute(audience.execution_options(yield_per=CHUNK_SIZE))):
        db.session.execute(insert, [_row(campaign, organisation, compiled, events, redirects, recipient)
                                    for recipient in chunk])
    return db.session.scalar(sa.select(sa.func.count()).where(OutgoingMessage.campaign_id == campaign.id)) or 0


def _chunks(result: sa.Result) -> Iterator[Sequence[sa.Row]]:
    while chunk := result.fetchmany(CHUNK_SIZE):
        yield chunk


def _insert_ignoring_duplicates() -> sa.Insert:
    table = OutgoingMessage.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=["campaign_id", "contact_id"])


def _row(campaign: Campaign, organisation: Organisation, compiled: Any, events: list[dict[str, Any]],
         redirects: dict[str, str], recipient: sa.Row) -> dict[str, Any]:
    unsubscribe = tokens.unsubscribe_url(recipient.id, campaign.id)
    contact = {"name": recipient.name, "email": recipient.email, "municipality": recipient.municipality}
    rendered = personalise(compiled, mail_context(campaign, organisation, contact, unsubscribe,
                                                  tokens.preferences_url(recipient.id), events))
    now = utcnow()
    return {
        "organisation_id": campaign.organisation_id, "kind": MessageKind.CAMPAIGN, "template": TEMPLATE_NAME,
        "campaign_id": campaign.id, "contact_id": recipient.id,
        "to_address": recipient.email, "to_name": header_safe(recipient.name) if recipient.name else None,
        "from_address": campaign.sender_address, "from_name": header_safe(campaign.sender_name),
        "reply_to": organisation.reply_to, "subject": header_safe(campaign.subject),
        "text_body": clicks.rewrite_text(rendered.text, redirects),
        "html_body": clicks.rewrite_html(rendered.html, redirects),
        "headers": {"List-Unsubscribe": _list_unsubscribe(unsubscribe, organisation.reply_to),
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        "status": MessageStatus.QUEUED, "attempts": 0, "next_attempt_at": now, "created_at": now,
        "message_id": new_message_id(campaign.sender_address),
    }


def _list_unsubscribe(url: str, reply_to: str | None) -> str:
    """RFC 2369/8058: the one-click https link; a mailto only to the address people there read."""
    return f"<{url}>, <mailto:{reply_to}?subject=afmelden>" if reply_to else f"<{url}>"


def schedule(campaign: Campaign, moment: datetime) -> None:
    if campaign.status not in LAUNCHABLE:
        raise CampaignError(_("Alleen een concept kan worden ingepland."))
    if moment <= utcnow():
        raise CampaignError(_("Kies een moment in de toekomst."))
    _refuse_blocking_findings(campaign)
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = moment
    db.session.flush()


def unschedule(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.SCHEDULED:
        raise CampaignError(_("Deze campagne is niet ingepland."))
    campaign.status = CampaignStatus.DRAFT
    campaign.scheduled_at = None
    db.session.flush()


def _set_rows(campaign_id: int, old: MessageStatus, new: MessageStatus, **values: object) -> int:
    """A conditional UPDATE: rows a worker has already claimed (`sending`) are left alone."""
    result = db.session.execute(
        sa.update(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign_id, OutgoingMessage.status == old)
        .values(status=new, **values).execution_options(synchronize_session=False)
    )
    return result.rowcount


def pause(campaign_id: int) -> None:
    """Holds the rows not yet sent (as cancelled, marked so that resume can find them)."""
    campaign = lock_campaign(campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        raise CampaignError(_("Alleen een campagne die verstuurd wordt kan worden gepauzeerd."))
    _set_rows(campaign.id, MessageStatus.QUEUED, MessageStatus.CANCELLED, last_error=PAUSED_MARK)
    campaign.status = CampaignStatus.PAUSED
    db.session.flush()


def resume(campaign_id: int) -> None:
    campaign = lock_campaign(campaign_id)
    if campaign.status != CampaignStatus.PAUSED:
        raise CampaignError(_("Alleen een gepauzeerde campagne kan worden hervat."))
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.campaign_id == campaign.id, OutgoingMessage.status == MessageStatus.CANCELLED,
               OutgoingMessage.last_error == PAUSED_MARK)
        .values(status=MessageStatus.QUEUED, last_error=None, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    campaign.status = CampaignStatus.SENDING
    db.session.flush()


def cancel(campaign_id: int) -> None:
    """Stops the campaign for good; what was sent stays sent."""
    campaign = lock_campaign(campaign_id)
    if campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED):
        raise CampaignError(_("Deze campagne is al afgerond."))
    _set_rows(campaign.id, MessageStatus.QUEUED, MessageStatus.CANCELLED, last_error="campaign cancelled")
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.campaign_id == campaign.id, OutgoingMessage.last_error == PAUSED_MARK)
        .values(last_error="campaign cancelled").execution_options(synchronize_session=False)
    )
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = utcnow()
    db.session.flush()


def progress(campaign: Campaign) -> Progress:
    """Counts by outbox status; a sending campaign with nothing left to send becomes sent."""
    rows = db.session.execute(
        sa.select(OutgoingMessage.status, sa.func.count()).where(OutgoingMessage.campaign_id == campaign.id)
        .group_by(OutgoingMessage.status)
    ).all()
    counts = {status: 0 for status in MessageStatus} | dict(rows)
    if campaign.status == CampaignStatus.SENDING and not counts[MessageStatus.QUEUED] + counts[MessageStatus.SENDING]:
        campaign.status = CampaignStatus.SENT
        campaign.finished_at = utcnow()
        db.session.flush()
    return Progress(campaign.status, counts)


def due_campaign_ids() -> list[int]:
    due = sa.select(Campaign.id).where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= utcnow())
    return list(db.session.scalars(due.order_by(Campaign.scheduled_at)))


def launch_due() -> list[tuple[int, str]]:
    """Launches the scheduled campaigns that are due, each in its own transaction; a campaign
    that can no longer be sent (no recipients left) goes back to draft with the reason."""
    outcomes = []
    for campaign_id in due_campaign_ids():
        try:
            written = launch(campaign_id)
        except CampaignBusy as error:  # another tick or a click is launching it right now
            db.session.rollback()
            outcomes.append((campaign_id, f"skipped: {error}"))
        except CampaignError as error:
            db.session.rollback()
            db.session.execute(
                sa.update(Campaign).where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SCHEDULED)
                .values(status=CampaignStatus.DRAFT, scheduled_at=None).execution_options(synchronize_session=False)
            )
            outcomes.append((campaign_id, f"not launched: {error}"))
        else:
            outcomes.append((campaign_id, f"launched, {written} messages queued"))
        db.session.commit()
    return outcomes
