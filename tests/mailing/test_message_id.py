"""One Message-ID per outbox row: a message sent again (after a worker died mid-send, or as a retry)
carries the same Message-ID, so the recipient's mail program knows it is the same message."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from campaigns.services.sending import write_outbox_rows
from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from mailing.worker import run_worker
from tests.factories import make_campaign, make_contact, make_organisation, queue_mail
from tests.mailing.conftest import Relay


def _campaign_rows() -> list[OutgoingMessage]:
    organisation = make_organisation()
    make_contact(organisation, email="anna@example.org")
    make_contact(organisation, email="bob@example.org")
    write_outbox_rows(make_campaign(organisation))
    db.session.commit()
    return list(db.session.scalars(sa.select(OutgoingMessage).order_by(OutgoingMessage.id)))


def _transactional_rows() -> list[OutgoingMessage]:
    return queue_mail(2)


ROW_KINDS = {"campaign": _campaign_rows, "transactional": _transactional_rows}


def _as_left_by_a_crash_after_the_relay_accepted(stored: dict[int, str | None]) -> None:
    """The row as the claim committed it: `sending` under a lease that has now expired, the
    result never written (so also not a Message-ID the send made up)."""
    for row_id, message_id in stored.items():
        db.session.execute(sa.update(OutgoingMessage).where(OutgoingMessage.id == row_id).values(
            status=MessageStatus.SENDING, attempts=1, leased_until=utcnow() - timedelta(seconds=1), sent_at=None,
            smtp_response=None, message_id=message_id))
    db.session.commit()


def _ids_by_recipient(relay: Relay) -> dict[str, list[str]]:
    sent: dict[str, list[str]] = {}
    for message in relay.received:
        sent.setdefault(message["To"].addresses[0].addr_spec, []).append(message["Message-ID"])
    return sent


@pytest.mark.parametrize("make_rows", ROW_KINDS.values(), ids=ROW_KINDS.keys())
def test_a_message_sent_again_after_a_worker_crash_keeps_its_message_id(
        smtp_app: Flask, relay: Relay, make_rows: Callable[[], list[OutgoingMessage]]) -> None:
    stored = {row.id: row.message_id for row in make_rows()}
    assert all(stored.values())  # set when the row was written, before any worker saw it
    assert run_worker(once=True) == 2
    _as_left_by_a_crash_after_the_relay_accepted(stored)
    assert run_worker(once=True) == 2  # the expired lease goes back to the queue and is sent again
    sent = _ids_by_recipient(relay)
    assert len(sent) == 2 and all(len(ids) == 2 and ids[0] == ids[1] for ids in sent.values()), sent
    db.session.expire_all()
    assert {row.message_id for row in db.session.scalars(sa.select(OutgoingMessage))} == {
        ids[0] for ids in sent.values()}


@pytest.mark.parametrize("make_rows", ROW_KINDS.values(), ids=ROW_KINDS.keys())
def test_a_retried_message_keeps_its_message_id(smtp_app: Flask, relay: Relay,
                                                make_rows: Callable[[], list[OutgoingMessage]]) -> None:
    """The relay takes it, then loses the connection before the worker hears its 250 (a reset):
    retried later, it is the same message."""
    first = make_rows()[0]
    relay.refuse(first.to_address, "reset")
    run_worker(once=True)
    db.session.execute(sa.update(OutgoingMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    run_worker(once=True)
    db.session.expire_all()
    row = db.session.get(OutgoingMessage, first.id)
    assert row.status == MessageStatus.SENT and row.attempts == 2
    (delivered,) = _ids_by_recipient(relay)[first.to_address]
    assert delivered == row.message_id == first.message_id


def test_every_row_of_a_campaign_has_its_own_message_id(app: Flask) -> None:
    rows = _campaign_rows()
    assert len({row.message_id for row in rows}) == len(rows)
    assert all(row.message_id.startswith("<") and row.message_id.endswith(">") for row in rows)


def test_a_row_stored_without_a_message_id_gets_the_same_one_on_every_try(smtp_app: Flask, relay: Relay) -> None:
    """Rows queued before every row got one: the id is made from the row, not at random."""
    (row,) = queue_mail()
    _as_left_by_a_crash_after_the_relay_accepted({row.id: None})
    run_worker(once=True)
    _as_left_by_a_crash_after_the_relay_accepted({row.id: None})
    run_worker(once=True)
    (ids,) = _ids_by_recipient(relay).values()
    assert len(ids) == 2 and ids[0] == ids[1]
