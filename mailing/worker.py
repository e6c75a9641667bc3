"""The outbox worker: claims due rows, sends them, and records each result as it happens.

Delivery is at-least-once with a duplicate window of one message: a row is claimed with a
lease (`status = sending`, `leased_until`), and its result is committed right after the relay
answered. A worker killed in between leaves at most the message in hand sent but unrecorded;
the rest of its claimed rows are requeued when their lease expires
(`tests/mailing/test_worker_faults.py` kills one mid-batch and counts what the relay received).

A campaign row references a compiled template (`MailTemplate`) and carries its recipient's values:
the worker personalises it here (the compiled template cached per version) and sends it. The bodies
are not written back (that halved the throughput); the mail catcher personalises again on view.
A template that fails for one recipient fails only that row.

After each batch the worker announces every campaign whose last row it settled
(`campaign_rows_settled`); one it could not announce (killed just before) is found by the
campaigns tick.
"""
from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, selectinload

from core.db import unit_of_work
from core.timeutils import utcnow
from extensions import db
from mailing.message import build_message, row_message_id
from mailing.models import MailTemplate, MessageStatus, OutgoingMessage, unsettled
from mailing.outbox import compose_row
from mailing.personalise import RenderedMail, TemplateVersion
from mailing.rendering import TemplateError
from mailing.results import ResultWriter
from mailing.secret_links import LinkUnavailable, unsealed
from mailing.signals import campaign_rows_settled, message_bounced
from mailing.transports import Addresses, DeliveryError, Envelope, Transport, transport_from_config
from mailing.verp import return_path

# One lookup in the partial index of unsettled rows, however many of the campaign's rows were sent.
_CAMPAIGN_HAS_ROWS_LEFT = sa.select(sa.exists().where(OutgoingMessage.campaign_id == sa.bindparam("campaign_id"),
                                                      unsettled()))


MAX_CACHED_TEMPLATES = 64
# How often a running worker looks for expired leases: far below any sensible lease, and not per
# batch (under a steady stream that scan of the index's dead entries cost 0.1 ms per message).
REQUEUE_EVERY_SECONDS = 15.0


@dataclass(frozen=True)
class WorkerSettings:
    batch_size: int = 100
    poll_seconds: float = 2.0
    lease_seconds: float = 300.0
    max_attempts: int = 8
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 6 * 3600.0
    rate_per_second: float = 0.0  # 0: as fast as the relay takes them

    @classmethod
    def from_config(cls, config: dict[str, Any], **options: Any) -> WorkerSettings:
        return cls(
            lease_seconds=config["MAIL_LEASE_SECONDS"],
            max_attempts=config["MAIL_MAX_ATTEMPTS"],
            retry_base_seconds=config["MAIL_RETRY_BASE_SECONDS"],
            retry_max_seconds=config["MAIL_RETRY_MAX_SECONDS"],
            rate_per_second=config["MAIL_RATE_PER_SECOND"],
            **options,
        )


class Worker:
    def __init__(self, transport: Transport, settings: WorkerSettings) -> None:
        self.transport = transport
        self.settings = settings
        self.stopping = False
        self.sent = 0
        self._next_slot = 0.0
        self._next_requeue = 0.0
        self._versions: dict[int, TemplateVersion] = {}
        self._settled_campaigns: set[int] = set()  # of the batch in hand
        # Its own session for claims: rows stay loaded while their results are written.
        self.session = Session(db.engine, expire_on_commit=False)
        self.results = ResultWriter.for_engine(db.engine)

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Finish the message in hand, give the rest of the batch back, then return from run()."""
        self.stopping = True

    def run(self, *, once: bool = False) -> int:
        """Works until stopped; with `once`, until nothing is due. Returns the number sent."""
        try:
            while not self.stopping:
                if time.monotonic() >= self._next_requeue:
                    self.requeue_expired_leases()
                    self._next_requeue = time.monotonic() + REQUEUE_EVERY_SECONDS
                batch = self.claim()
                if batch:
                    self.deliver_batch(batch)
                elif once:
                    break
                else:
                    self._sleep(self.settings.poll_seconds)
        finally:
            self.transport.close()
            self.session.close()
            self.results.close()
        return self.sent

    def requeue_expired_leases(self) -> None:
        with unit_of_work(self.session):
            self.session.execute(
                sa.update(OutgoingMessage)
                .where(OutgoingMessage.status == MessageStatus.SENDING, OutgoingMessage.leased_until < utcnow())
                .values(status=MessageStatus.QUEUED, leased_until=None, next_attempt_at=utcnow(),
                        last_error="lease expired: the worker stopped before it recorded a result")
            )

    def claim(self) -> list[OutgoingMessage]:
        """Marks a batch of due rows as ours. On PostgreSQL, SKIP LOCKED keeps workers off each
        other's rows (`test_two_workers_never_send_a_row_twice`); SQLite takes a single worker."""
        now = utcnow()
        due = (
            sa.select(OutgoingMessage.id)
            .where(OutgoingMessage.status == MessageStatus.QUEUED, OutgoingMessage.next_attempt_at <= now)
            .order_by(OutgoingMessage.next_attempt_at, OutgoingMessage.id)
            .limit(self.settings.batch_size)
            .with_for_update(skip_locked=True)
        )
        with unit_of_work(self.session):
            ids = list(self.session.scalars(due))
            if ids:
                self.session.execute(
                    sa.update(OutgoingMessage)
                    .where(OutgoingMessage.id.in_(ids))
                    .values(status=MessageStatus.SENDING, attempts=OutgoingMessage.attempts + 1,
                            leased_until=now + timedelta(seconds=self._lease_seconds()))
                )
        if not ids:
            return []
        with unit_of_work(self.session):
            return list(self.session.scalars(
                sa.select(OutgoingMessage).where(OutgoingMessage.id.in_(ids))
                .order_by(OutgoingMessage.next_attempt_at, OutgoingMessage.id)
                .options(selectinload(OutgoingMessage.attachments))
                .execution_options(populate_existing=True)
            ))

    def _lease_seconds(self) -> float:
        """Long enough for the whole batch, also when the rate limit spreads it out."""
        rate = self.settings.rate_per_second
        return self.settings.lease_seconds + (self.settings.batch_size / rate if rate else 0)

    def deliver_batch(self, batch: list[OutgoingMessage]) -> None:
        for position, message in enumerate(batch):
            if self.stopping:
                self.release(batch[position:])
                break
            self._pace()
            self.deliver(message, self._following(batch, position))
        self._announce_settled_campaigns()

    def _settled(self, message: OutgoingMessage) -> None:
        if message.campaign_id is not None:
            self._settled_campaigns.add(message.campaign_id)

    def _announce_settled_campaigns(self) -> None:
        """After the batch, for each campaign it settled rows of: if none of its rows is left to
        deliver (another worker may still hold some), the last one was settled here (or just now by
        another worker; marking sent is idempotent)."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        for campaign_id in sorted(self._settled_campaigns):
            if not self.results.scalar(_CAMPAIGN_HAS_ROWS_LEFT, {"campaign_id": campaign_id}):
                with unit_of_work():
                    campaign_rows_settled.send(app, campaign_id=campaign_id)
        self._settled_campaigns.clear()

    def _following(self, batch: list[OutgoingMessage], position: int) -> Addresses | None:
        """The next message's addresses, so that its envelope can travel with this message; not
        under a rate limit, which would keep a transaction open at the relay while waiting."""
        if self.settings.rate_per_second or position + 1 >= len(batch):
            return None
        following = batch[position + 1]
        return return_path(following.id, following.from_address), following.to_address

    def deliver(self, message: OutgoingMessage, following: Addresses | None = None) -> None:
        if message.composer is not None and not self._composed(message):
            return
        message.message_id = message.message_id or row_message_id(message)
        try:
            envelope = Envelope(return_path(message.id, message.from_address), message.to_address,
                                build_message(message, bodies=self._bodies(message)))
            self.results.settle()  # the previous result is recorded before this message goes out
            response = self.transport.send(envelope, following)
        except DeliveryError as error:
            self._record_failure(message, error)
        except LinkUnavailable as error:  # the account or contact is gone: no retry
            self._record_failure(message, DeliveryError(None, f"link unavailable: {error}", permanent=True))
        except TemplateError as error:  # the same for every try: no retry
            self._record_failure(message, DeliveryError(None, f"template error: {error}", permanent=True))
        except ValueError as error:  # a row that cannot become a valid message (bad header)
            self._record_failure(message, DeliveryError(None, f"invalid message: {error}", permanent=True))
        else:
            self.results.record_sent(message.id, response[:500], utcnow(), message.message_id)
            self.sent += 1
            self._settled(message)

    def _composed(self, message: OutgoingMessage) -> bool:
        """Composes a row queued for composing (mailing.outbox.Composition) and stores the result, so
        a retry sends the same mail. A mail that no longer applies (the registration was cancelled
        before it was sent) is cancelled; a composer that fails is retried like a relay that did."""
        try:
            with unit_of_work(self.session), unit_of_work():  # the composer reads through db.session
                if compose_row(message):
                    return True
                message.status, message.leased_until = MessageStatus.CANCELLED, None
                message.last_error = "no longer applies: not sent"
        except TemplateError as error:
            self._record_failure(message, DeliveryError(None, f"template error: {error}", permanent=True))
        except Exception as error:  # noqa: BLE001 (a feature's composer: recorded on the row, retried)
            self._record_failure(message, DeliveryError(None, f"composing failed: {error!r}", permanent=False))
        self._settled(message)
        return False

    def _bodies(self, message: OutgoingMessage) -> RenderedMail | None:
        """The bodies to send when they are not the row's own: personalised, with the link minted."""
        bodies = self._version(message.template_id).personalise(message.context or {}) if message.template_id else None
        if message.secret_link:
            bodies = unsealed(bodies or RenderedMail(html=message.html_body, text=message.text_body), message.secret_link)
        return bodies

    def _version(self, template_id: int) -> TemplateVersion:
        if template_id not in self._versions:
            if len(self._versions) >= MAX_CACHED_TEMPLATES:
                self._versions.clear()
            with unit_of_work(self.session):
                self._versions[template_id] = TemplateVersion.of(self.session.get_one(MailTemplate, template_id))
        return self._versions[template_id]

    def _record(self, message: OutgoingMessage, **values: Any) -> None:
        self.results.execute(
            sa.update(OutgoingMessage).where(OutgoingMessage.id == message.id)
            .values(message_id=message.message_id, **values)
        )

    def _record_failure(self, message: OutgoingMessage, error: DeliveryError) -> None:
        outcome = {"last_error": str(error), "leased_until": None}
        if error.code:
            outcome["smtp_response"] = str(error)[:500]
        if error.permanent or message.attempts >= self.settings.max_attempts:
            self._record(message, status=MessageStatus.FAILED, failed_at=utcnow(), **outcome)
            self._settled(message)
            if error.hard_bounce:
                with unit_of_work():
                    message_bounced.send(current_app._get_current_object(), message=message)
            return
        retry_at = utcnow() + timedelta(seconds=self.backoff_seconds(message.attempts))
        self._record(message, status=MessageStatus.QUEUED, next_attempt_at=retry_at, **outcome)

    def backoff_seconds(self, attempts: int) -> float:
        """Exponential, capped, with jitter so that a relay coming back is not hit all at once."""
        delay = min(self.settings.retry_base_seconds * 2 ** (attempts - 1), self.settings.retry_max_seconds)
        return delay * random.uniform(0.5, 1.0)

    def release(self, unsent: list[OutgoingMessage]) -> None:
        """Gives claimed rows back to the queue (on SIGTERM), as if never claimed."""
        self.results.settle()
        with unit_of_work(self.session):
            self.session.execute(
                sa.update(OutgoingMessage)
                .where(OutgoingMessage.id.in_([m.id for m in unsent]), OutgoingMessage.status == MessageStatus.SENDING)
                .values(status=MessageStatus.QUEUED, leased_until=None, attempts=OutgoingMessage.attempts - 1)
            )

    def _pace(self) -> None:
        rate = self.settings.rate_per_second
        if not rate:
            return
        now = time.monotonic()
        self._next_slot = max(self._next_slot, now)
        self._sleep(self._next_slot - now)
        self._next_slot += 1 / rate

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))


def run_worker(*, once: bool = False, batch_size: int = 100, poll_seconds: float = 2.0,
               handle_signals: bool = False) -> int:
    """Runs one worker with the app's transport and settings (`flask mailing worker`)."""
    settings = WorkerSettings.from_config(current_app.config, batch_size=batch_size, poll_seconds=poll_seconds)
    worker = Worker(transport_from_config(current_app.config), settings)
    if handle_signals:
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
    return worker.run(once=once)

