"""The delivery log of one campaign: every recipient's outbox row with what became of it."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from campaigns.models import Campaign, Contact, ContactStatus, DeliveryStatus
from campaigns.services import ab_test
from core.csvutils import BOM, csv_line
from core.paging import page_of, total_of
from core.timeutils import to_local
from extensions import db
from mailing.models import BounceKind, BounceReport, MessageStatus, OutgoingMessage

PAGE_SIZE = 50
CHUNK_SIZE = 1000


@dataclass(frozen=True)
class Delivery:
    message_id: int
    email: str
    name: str | None
    status: DeliveryStatus
    sent_at: datetime | None
    answer: str | None  # the relay's answer or the last error


def _status() -> sa.ColumnElement[str]:
    """What became of the row, in SQL (so the list filters and pages in the database). An
    unsubscribe through this campaign and a hard bounce say more than "sent" and win over it."""
    hard_bounce = sa.exists().where(BounceReport.message_id == OutgoingMessage.id,
                                    BounceReport.kind == BounceKind.HARD)
    return sa.case(
        (Contact.unsubscribed_campaign_id == OutgoingMessage.campaign_id, DeliveryStatus.UNSUBSCRIBED.value),
        (hard_bounce, DeliveryStatus.BOUNCED.value),
        (sa.and_(OutgoingMessage.status == MessageStatus.FAILED, Contact.status == ContactStatus.BOUNCED),
         DeliveryStatus.BOUNCED.value),
        (OutgoingMessage.status == MessageStatus.FAILED, DeliveryStatus.FAILED.value),
        (OutgoingMessage.status == MessageStatus.SENT, DeliveryStatus.SENT.value),
        (OutgoingMessage.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]), DeliveryStatus.QUEUED.value),
        (OutgoingMessage.last_error == ab_test.HELD_MARK, DeliveryStatus.QUEUED.value),  # waits for the winner
        else_=DeliveryStatus.NOT_SENT.value,
    )


def _query(campaign_id: int, organisation_id: int, search: str | None, status: DeliveryStatus | None) -> sa.Select:
    status_column = _status().label("delivery_status")
    query = (sa.select(OutgoingMessage.id, OutgoingMessage.to_address, OutgoingMessage.to_name, status_column,
                       OutgoingMessage.sent_at, sa.func.coalesce(OutgoingMessage.smtp_response,
                                                                 OutgoingMessage.last_error).label("answer"))
             .outerjoin(Contact, Contact.id == OutgoingMessage.contact_id)
             .where(OutgoingMessage.campaign_id == campaign_id, OutgoingMessage.organisation_id == organisation_id))
    if search:
        needle = search.lower()
        query = query.where(sa.or_(sa.func.lower(OutgoingMessage.to_address).contains(needle, autoescape=True),
                                   sa.func.lower(OutgoingMessage.to_name).contains(needle, autoescape=True)))
    if status:
        query = query.where(_status() == status.value)
    return query.order_by(OutgoingMessage.to_address, OutgoingMessage.id)


def _delivery(row: sa.Row) -> Delivery:
    return Delivery(row.id, row.to_address, row.to_name, DeliveryStatus(row.delivery_status), row.sent_at,
                    row.answer)


def delivery_page(campaign: Campaign, search: str | None, status: DeliveryStatus | None,
                  page: int) -> tuple[list[Delivery], int]:
    query = _query(campaign.id, campaign.organisation_id, search, status)
    total = total_of(query)
    return [_delivery(row) for row in db.session.execute(page_of(query, page, PAGE_SIZE))], total


def status_counts(campaign: Campaign) -> dict[DeliveryStatus, int]:
    status = _status()
    rows = db.session.execute(
        sa.select(status, sa.func.count()).select_from(OutgoingMessage)
        .outerjoin(Contact, Contact.id == OutgoingMessage.contact_id)
        .where(OutgoingMessage.campaign_id == campaign.id).group_by(status)).all()
    return {value: 0 for value in DeliveryStatus} | {DeliveryStatus(name): count for name, count in rows}


CSV_HEADER = ["email", "naam", "status", "verstuurd_op", "antwoord_mailserver"]


def delivery_csv(campaign_id: int, organisation_id: int, search: str | None, status: DeliveryStatus | None,
                 labels: dict[str, str]) -> Iterator[str]:
    """The (filtered) log as CSV for Dutch Excel, in chunks; plain values in, so it streams after the commit."""
    yield BOM + csv_line(CSV_HEADER)
    query = _query(campaign_id, organisation_id, search, status).execution_options(yield_per=CHUNK_SIZE)
    for row in db.session.execute(query):
        yield csv_line([row.to_address, row.to_name or "", labels[row.delivery_status],
                        to_local(row.sent_at).strftime("%Y-%m-%d %H:%M") if row.sent_at else "", row.answer or ""])
