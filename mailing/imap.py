"""The bounce mailbox over IMAP (`flask mailing bounces`, from cron or the tick).

Takes what it recognises (bounces, complaints: processed, committed, then deleted from the mailbox)
and leaves everything else where it is, unread: a person may still want to read it.
"""
from __future__ import annotations

import itertools
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage

from core.db import unit_of_work
from mailing.bounces import process_message

log = logging.getLogger(__name__)
CHUNK = 200  # messages per committed step: a crash repeats at most this many (as duplicates)


@dataclass
class MailboxRun:
    recorded: int = 0
    duplicates: int = 0
    left_alone: int = 0


@contextmanager
def _mailbox(config: dict[str, Any]) -> Iterator[BaseMailBox]:
    host, port = config["MAIL_BOUNCE_IMAP_HOST"], config["MAIL_BOUNCE_IMAP_PORT"]
    security = config["MAIL_BOUNCE_IMAP_SECURITY"]
    timeout = config["SMTP_TIMEOUT"]
    if security == "ssl":
        mailbox: BaseMailBox = MailBox(host, port, timeout=timeout, ssl_context=ssl.create_default_context())
    elif security == "starttls":
        mailbox = MailBoxStartTls(host, port, timeout=timeout, ssl_context=ssl.create_default_context())
    else:
        mailbox = MailBoxUnencrypted(host, port, timeout=timeout)
    with mailbox.login(config["MAIL_BOUNCE_IMAP_USERNAME"], config["MAIL_BOUNCE_IMAP_PASSWORD"],
                       initial_folder=config["MAIL_BOUNCE_IMAP_FOLDER"]) as session:
        yield session


def read_mailbox(config: dict[str, Any]) -> MailboxRun:
    """Processes every message in the folder that is not too large; returns what it did.

    Each chunk is one unit of work, committed before its messages are deleted: a crash in between
    only repeats reports (which changes nothing)."""
    run = MailboxRun()
    with _mailbox(config) as mailbox:
        messages = mailbox.fetch(AND(size_lt=config["MAIL_BOUNCE_MAX_BYTES"]), mark_seen=False, bulk=CHUNK)
        while chunk := list(itertools.islice(messages, CHUNK)):
            with unit_of_work():
                done = [message.uid for message in chunk if _take(message, run) and message.uid]
            if done:
                mailbox.delete(done)
    log.info("bounce mailbox: %s recorded, %s already known, %s left alone",
             run.recorded, run.duplicates, run.left_alone)
    return run


def _take(message: MailMessage, run: MailboxRun) -> bool:
    """Processes one message and counts it; True when it was recognised (and may go)."""
    outcome = process_message(message.obj, "imap")
    if outcome.recorded:
        run.recorded += 1
    elif outcome.recognised:
        run.duplicates += 1
    else:
        run.left_alone += 1
    return outcome.recognised
