"""Launching, scheduling, pausing, resuming and cancelling a campaign.

Launching stores the compiled mail once (`mailing.models.MailTemplate`) and writes one outbox row
per recipient with one INSERT ... SELECT from the contacts: each row carries the template reference
and a JSON context of plain values (name, links from the contact's stored link token), built in
SQL; the worker personalises it when it sends. UNIQUE(campaign_id, contact_id) with ON CONFLICT DO
NOTHING makes a second write of the same recipient a no-op. The campaign row is locked first, so a double-click launches once.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from accounts.models import Organisation
from campaigns import tokens
from campaigns.models import Campaign, CampaignStatus, Contact
from campaigns.services import ab_test, clicks
from campaigns.services.audiences import AudienceDefinition, conditions
from campaigns.services.campaigns import (
    CampaignError,
    blocking_findings,
    campaign_links,
    event_values,
    mail_context,
)
from core.db import unit_of_work
from core.sql import insert_ignoring_duplicates, lock_row
from core.timeutils import UTCDateTime, utcnow
from extensions import db
from mailing.models import MailTemplate, MessageKind, MessageStatus, OutgoingMessage, unsettled
from mailing.outbox import header_safe, new_message_id
from mailing.personalise import compile_mail, source_hash, to_plain

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
    return lock_row(Campaign, campaign_id, busy=busy)


def busy() -> CampaignBusy:
    return CampaignBusy(_("Er wordt al iets met deze campagne gedaan. Probeer het zo opnieuw."))


def launch(campaign_id: int) -> int:
    """Queues the campaign for every recipient at this moment; returns the number of rows written."""
    campaign = _launchable(campaign_id)
    written = write_outbox_rows(campaign)
    ab_test.split(campaign)  # a subject test: the test share to A and B, the rest held for the winner
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
    """One INSERT ... SELECT for the whole audience: no Python per recipient, flat memory. The rows
    reference the compiled version; the worker personalises each with its `context` when it sends."""
    organisation = db.session.get_one(Organisation, campaign.organisation_id)
    template = _mail_template(campaign, organisation)
    audience = AudienceDefinition.of(campaign)
    db.session.execute(insert_ignoring_duplicates(OutgoingMessage.__table__, "campaign_id", "contact_id").from_select(
        list(ROW_COLUMNS), sa.select(*_row_values(campaign, organisation, template.id))
        .where(*conditions(campaign.organisation_id, audience)).order_by(Contact.id)))
    return db.session.scalar(sa.select(sa.func.count()).where(OutgoingMessage.campaign_id == campaign.id)) or 0


def _mail_template(campaign: Campaign, organisation: Organisation) -> MailTemplate:
    compiled = compile_mail(campaign.mjml_source)
    redirects = clicks.register_links(campaign, campaign_links(campaign)) if campaign.track_clicks else {}
    # Per recipient the worker replaces contact and links; the rest every recipient shares.
    shared = mail_context(campaign, organisation, {}, "", "", event_values(campaign))
    template = MailTemplate(organisation_id=campaign.organisation_id, source_hash=source_hash(compiled.source),
                            source=compiled.source, html_source=compiled.html_source,
                            text_source=compiled.text_source, shared=to_plain(shared), redirects=redirects)
    db.session.add(template)
    db.session.flush()
    return template


ROW_COLUMNS = (
    "organisation_id", "kind", "template", "campaign_id", "contact_id", "to_address", "to_name", "from_address",
    "from_name", "reply_to", "subject", "text_body", "template_id", "context", "headers", "status", "attempts",
    "next_attempt_at", "created_at", "message_id",
)


def _row_values(campaign: Campaign, organisation: Organisation, template_id: int) -> list[sa.ColumnElement]:
    """The columns of ROW_COLUMNS for one contact, as SQL; links from the contact's stored token."""
    unsubscribe = _text(tokens.public_url(tokens.UNSUBSCRIBE_PATH)) + Contact.link_token + _text(f".{campaign.id}")
    preferences = _text(tokens.public_url(tokens.PREFERENCES_PATH)) + Contact.link_token
    mailto = f", <mailto:{organisation.reply_to}?subject=afmelden>" if organisation.reply_to else ""
    context = _json_object(
        contact=_json_object(name=Contact.name, email=Contact.email, municipality=Contact.municipality),
        unsubscribe_url=unsubscribe, preferences_url=preferences,
    )
    headers = _json_object(**{"List-Unsubscribe": _text("<") + unsubscribe + _text(">" + mailto),
                              "List-Unsubscribe-Post": _text("List-Unsubscribe=One-Click")})
    now = utcnow()
    constants = {
        "organisation_id": campaign.organisation_id, "kind": MessageKind.CAMPAIGN, "template": TEMPLATE_NAME,
        "campaign_id": campaign.id, "from_address": campaign.sender_address,
        "from_name": header_safe(campaign.sender_name), "reply_to": organisation.reply_to,
        "subject": header_safe(campaign.subject), "text_body": "", "template_id": template_id,
        "status": MessageStatus.QUEUED, "attempts": 0, "next_attempt_at": now, "created_at": now,
    }
    # One Message-ID per row from the start, the same on every retry and after a worker's crash:
    # this launch's unique id with the contact's id in it.
    launch_local, _at, sender_domain = new_message_id(campaign.sender_address)[1:-1].rpartition("@")
    per_contact = {
        "contact_id": Contact.id, "to_address": Contact.email, "context": context, "headers": headers,
        "message_id": _text(f"<{launch_local}.") + sa.cast(Contact.id, sa.Text) + _text(f"@{sender_domain}>"),
        # header_safe in SQL: a line break in a name never starts a header
        "to_name": sa.func.nullif(sa.func.replace(sa.func.replace(Contact.name, _text("\r"), _text(" ")),
                                                  _text("\n"), _text(" ")), _text("")),
    }
    table = OutgoingMessage.__table__
    values = per_contact | {name: sa.literal(value, table.c[name].type) for name, value in constants.items()}
    return [values[name] for name in ROW_COLUMNS]


def _text(value: str) -> sa.ColumnElement[str]:
    return sa.literal(value, sa.Text)


def _json_object(**values: sa.ColumnElement) -> sa.ColumnElement:
    build = sa.func.json_build_object if db.engine.dialect.name == "postgresql" else sa.func.json_object
    return build(*(part for key, value in values.items() for part in (_text(key), value)))


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
    """Counts by outbox status; only reads (the worker and the tick mark a campaign sent: `finish_sent`)."""
    rows = db.session.execute(
        sa.select(OutgoingMessage.status, sa.func.count()).where(OutgoingMessage.campaign_id == campaign.id)
        .group_by(OutgoingMessage.status)
    ).all()
    counts = {status: 0 for status in MessageStatus} | dict(rows)
    return Progress(campaign.status, counts)


def finish_sent(campaign_ids: Collection[int] | None = None) -> list[int]:
    """Marks sent every sending campaign (of `campaign_ids`, or all) none of whose outbox rows is left to
    deliver, with `finished_at` the moment its last message was sent or failed; returns their ids. Flushes.

    Called by the worker when it settled a campaign's last row, and by `flask campaigns tick` to catch up.
    One conditional UPDATE and no lock: only pause and cancel change a sending campaign, under its row
    lock; this UPDATE waits for them and then finds the status changed
    (`tests/campaigns/test_campaign_finished.py`, with the read-then-write negative control)."""
    left = sa.exists().where(OutgoingMessage.campaign_id == Campaign.id, unsettled())
    held = sa.exists().where(OutgoingMessage.campaign_id == Campaign.id, OutgoingMessage.last_error == ab_test.HELD_MARK)
    last_settled = (sa.select(sa.func.max(sa.func.coalesce(OutgoingMessage.sent_at, OutgoingMessage.failed_at)))
                    .where(OutgoingMessage.campaign_id == Campaign.id).scalar_subquery())
    finish = (sa.update(Campaign).where(Campaign.status == CampaignStatus.SENDING, ~left, ~held)
              .values(status=CampaignStatus.SENT,
                      finished_at=sa.func.coalesce(last_settled, sa.literal(utcnow(), UTCDateTime())))
              .returning(Campaign.id))
    if campaign_ids is not None:
        finish = finish.where(Campaign.id.in_(list(campaign_ids)))
    return list(db.session.scalars(finish))


def due_campaign_ids() -> list[int]:
    due = sa.select(Campaign.id).where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= utcnow())
    return list(db.session.scalars(due.order_by(Campaign.scheduled_at)))


def launch_due() -> list[tuple[int, str]]:
    """Launches the scheduled campaigns that are due, each in its own transaction; a campaign
    that can no longer be sent (no recipients left) goes back to draft with the reason."""
    outcomes = []
    for campaign_id in due_campaign_ids():
        try:
            with unit_of_work():
                written = launch(campaign_id)
        except CampaignBusy as error:  # another tick or a click is launching it right now
            outcomes.append((campaign_id, f"skipped: {error}"))
        except CampaignError as error:
            with unit_of_work():
                db.session.execute(
                    sa.update(Campaign).where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SCHEDULED)
                    .values(status=CampaignStatus.DRAFT, scheduled_at=None).execution_options(synchronize_session=False)
                )
            outcomes.append((campaign_id, f"not launched: {error}"))
        else:
            outcomes.append((campaign_id, f"launched, {written} messages queued"))
    return outcomes
