"""Killed and concurrent workers: every recipient gets exactly one message (counted at the relay)."""
from __future__ import annotations

import signal
import time

import pytest
from flask import Flask

from extensions import db
from mailing.models import MessageStatus
from tests.factories import outbox, queue_mail
from tests.mailing.conftest import Relay, worker_process

LEASE_SECONDS = "2"


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)


def test_worker_killed_mid_batch_and_restarted_sends_each_message_once(smtp_app: Flask, database_url: str,
                                                                       relay: Relay) -> None:
    messages = queue_mail(2000)
    worker = worker_process(database_url, relay.port, "--batch-size", "200", MAIL_LEASE_SECONDS=LEASE_SECONDS)
    wait_for(lambda: relay.count() >= 300)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    received_before_kill = relay.count()
    assert 300 <= received_before_kill < 2000, "the kill must land in the middle of the run"

    time.sleep(float(LEASE_SECONDS))  # the dead worker's claimed rows come back after their lease
    restarted = worker_process(database_url, relay.port, "--once", "--batch-size", "200")
    assert restarted.wait(timeout=120) == 0, restarted.stderr.read()

    counts = relay.handler.count_by_recipient()
    assert set(counts) == {message.to_address for message in messages}
    duplicates = [address for address, count in counts.items() if count > 1]
    assert len(duplicates) <= 1 and all(counts[address] == 2 for address in duplicates)
    db.session.expire_all()
    assert {row.status for row in outbox()} == {MessageStatus.SENT}


@pytest.mark.postgres_only
def test_two_workers_never_send_a_row_twice(smtp_app: Flask, database_url: str, relay: Relay) -> None:
    messages = queue_mail(1000)
    workers = [worker_process(database_url, relay.port, "--once", "--batch-size", "20") for _ in range(2)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    sent_per_worker = [int(stdout.split()[0]) for stdout, _ in outputs]
    assert sum(sent_per_worker) == 1000 and min(sent_per_worker) > 0, "both workers must have worked"
    counts = relay.handler.count_by_recipient()
    assert counts == {message.to_address: 1 for message in messages}


def _recorded_as_sent() -> set[str]:
    db.session.expire_all()
    return {row.to_address for row in outbox() if row.status == MessageStatus.SENT}


def test_each_kill_leaves_at_most_the_message_in_flight_unrecorded(smtp_app: Flask, database_url: str,
                                                                  relay: Relay) -> None:
    """Killed three times at different points: right after each kill, every message the relay took
    but one at most is recorded as sent (on PostgreSQL the result UPDATE is not waited for: it must
    still be recorded before the next message goes out), and in the end each recipient has its
    message, at most one of them twice per kill. (An earlier kill's unrecorded message is requeued
    behind the others, so it may still be unrecorded at the next kill.)"""
    messages = queue_mail(1500)
    kills = 0
    unrecorded: set[str] = set()
    for received_at_least in (200, 600, 1000):
        worker = worker_process(database_url, relay.port, "--batch-size", "150", MAIL_LEASE_SECONDS=LEASE_SECONDS)
        wait_for(lambda threshold=received_at_least: relay.count() >= threshold)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        kills += 1
        time.sleep(0.5)  # what the killed worker had put on the wire reaches the database and the relay
        delivered = set(relay.handler.count_by_recipient())
        assert len(delivered) < 1500, "the kill must land in the middle of the run"
        left_by_this_kill = delivered - _recorded_as_sent() - unrecorded
        assert len(left_by_this_kill) <= 1, left_by_this_kill
        unrecorded |= left_by_this_kill
        time.sleep(float(LEASE_SECONDS))  # the dead worker's claimed rows come back after their lease

    finishing = worker_process(database_url, relay.port, "--once", "--batch-size", "150")
    assert finishing.wait(timeout=120) == 0, finishing.stderr.read()
    counts = relay.handler.count_by_recipient()
    assert set(counts) == {message.to_address for message in messages}
    assert sum(count - 1 for count in counts.values()) <= kills and max(counts.values()) <= 2
    assert len(_recorded_as_sent()) == 1500
