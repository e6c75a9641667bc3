"""A campaign is finished by the worker when it settles the campaign's last row, or by `flask campaigns
tick`; `finished_at` is the moment the last message was sent or failed. Opening its pages never writes."""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import sending
from core.db import unit_of_work
from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from mailing.transports import transport_from_config
from mailing.worker import Worker, WorkerSettings, run_worker
from tests.campaigns.helpers import signed_in
from tests.campaigns.test_import_export import run_tick
from tests.campaigns.test_sending import rows
from tests.factories import confirm_and_send, make_campaign, make_contact, make_organisation
from tests.mailing.conftest import Relay

WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def launched(client: FlaskClient, recipients: int, **contact_fields: str) -> Campaign:
    organisation = make_organisation()
    for n in range(recipients):
        make_contact(organisation, email=f"lezer{n}@example.org", **contact_fields)
    campaign = make_campaign(organisation)
    signed_in(client, organisation)
    assert confirm_and_send(client, campaign).status_code == 302
    return campaign


def fresh(campaign: Campaign) -> Campaign:
    db.session.expire_all()
    return db.session.get_one(Campaign, campaign.id)


def settle_every_row(campaign: Campaign, sent_at: datetime) -> None:
    """As a worker that recorded every result and died before it announced the campaign."""
    db.session.execute(sa.update(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign.id)
                       .values(status=MessageStatus.SENT, sent_at=sent_at, attempts=1))
    db.session.commit()


def test_opening_the_pages_of_a_campaign_with_nothing_left_to_send_writes_nothing(client: FlaskClient,
                                                                                   count_queries) -> None:  # noqa: ANN001
    campaign = launched(client, 2)
    settle_every_row(campaign, utcnow() - timedelta(hours=1))
    with count_queries() as statements:
        page = client.get(f"/beheer/campagnes/{campaign.id}")
        progress = client.get(f"/beheer/campagnes/{campaign.id}/voortgang.json").get_json()
    assert page.status_code == 200 and progress["done"] == progress["total"] == 2
    assert [statement for statement in statements if WRITE.match(statement)] == []
    assert progress["status"] == "sending" and fresh(campaign).status == CampaignStatus.SENDING


def test_the_tick_marks_sent_what_the_worker_did_not_with_the_moment_of_the_last_message(client: FlaskClient) -> None:
    campaign = launched(client, 2)
    last_sent = utcnow() - timedelta(hours=3)
    settle_every_row(campaign, last_sent)
    other = launched(client, 1)  # still queued: stays sending
    assert f"campaign {campaign.id}: sent" in run_tick(client)
    assert (fresh(campaign).status, fresh(campaign).finished_at) == (CampaignStatus.SENT, last_sent)
    assert fresh(other).status == CampaignStatus.SENDING
    assert f"campaign {campaign.id}" not in run_tick(client)  # once


def test_the_worker_marks_the_campaign_sent_when_it_settles_the_last_row(smtp_app: Flask, client: FlaskClient,
                                                                         relay: Relay) -> None:
    campaign = launched(client, 3)
    worker = Worker(transport_from_config(smtp_app.config), WorkerSettings.from_config(smtp_app.config, batch_size=2))
    worker.deliver_batch(worker.claim())
    assert relay.count() == 2 and fresh(campaign).status == CampaignStatus.SENDING
    worker.deliver_batch(worker.claim())
    assert worker.run(once=True) == 3 and relay.count() == 3  # nothing left; closes the worker
    finished = fresh(campaign)
    assert finished.status == CampaignStatus.SENT
    assert finished.finished_at == max(row.sent_at for row in rows(campaign))


def test_a_campaign_whose_last_message_failed_for_good_finished_when_it_failed(smtp_app: Flask, client: FlaskClient,
                                                                              relay: Relay) -> None:
    relay.refuse("lezer1@example.org", "554 5.7.1 Message refused")
    campaign = launched(client, 2)
    assert run_worker(once=True) == 1
    sent, failed = rows(campaign)
    assert (sent.status, failed.status) == (MessageStatus.SENT, MessageStatus.FAILED)
    assert failed.failed_at is not None and failed.failed_at >= sent.sent_at
    assert (fresh(campaign).status, fresh(campaign).finished_at) == (CampaignStatus.SENT, failed.failed_at)


def test_a_paused_or_cancelled_campaign_is_never_marked_sent(client: FlaskClient) -> None:
    campaign = launched(client, 2)
    assert client.post(f"/beheer/campagnes/{campaign.id}/pauzeren").status_code == 302  # every row cancelled
    assert sending.finish_sent() == [] and fresh(campaign).status == CampaignStatus.PAUSED
    assert client.post(f"/beheer/campagnes/{campaign.id}/annuleren").status_code == 302
    assert sending.finish_sent() == [] and fresh(campaign).status == CampaignStatus.CANCELLED


def old_way_of_finishing(campaign_id: int) -> list[int]:
    """What the campaign page did before: read the status, then write it (the negative control)."""
    campaign = db.session.get_one(Campaign, campaign_id)
    if campaign.status == CampaignStatus.SENDING:
        campaign.status = CampaignStatus.SENT
        db.session.flush()
        return [campaign_id]
    return []


def finish_while_a_pause_holds_the_campaign(app: Flask, campaign_id: int, finish) -> list[int]:  # noqa: ANN001
    """A pause locks the campaign and waits; meanwhile `finish` runs in another transaction."""
    locked, release = threading.Event(), threading.Event()
    finished: list[int] = []

    def pause() -> None:
        with app.app_context(), unit_of_work():
            sending.pause(campaign_id)
            locked.set()
            release.wait(10)

    def finishing() -> None:
        with app.app_context(), unit_of_work():
            finished.extend(finish(campaign_id))

    pausing = threading.Thread(target=pause)
    pausing.start()
    assert locked.wait(10)
    finisher = threading.Thread(target=finishing)
    finisher.start()
    time.sleep(0.5)
    waited = finisher.is_alive()  # on the campaign's row lock
    release.set()
    pausing.join(10)
    finisher.join(10)
    assert waited
    return finished


@pytest.mark.postgres_only
def test_marking_sent_waits_for_a_pause_in_progress_and_leaves_the_campaign_paused(app: Flask,
                                                                                 client: FlaskClient) -> None:
    campaign = launched(client, 2)
    settle_every_row(campaign, utcnow())
    finished = finish_while_a_pause_holds_the_campaign(app, campaign.id, lambda cid: sending.finish_sent([cid]))
    assert finished == [] and fresh(campaign).status == CampaignStatus.PAUSED


@pytest.mark.postgres_only
def test_negative_control_read_then_write_overwrites_the_pause(app: Flask, client: FlaskClient) -> None:
    campaign = launched(client, 2)
    settle_every_row(campaign, utcnow())
    finished = finish_while_a_pause_holds_the_campaign(app, campaign.id, old_way_of_finishing)
    assert finished == [campaign.id] and fresh(campaign).status == CampaignStatus.SENT
