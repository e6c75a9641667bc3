"""The bounce mailbox over IMAP (`flask mailing bounces`, from cron or the tick).

Takes what it recognises (bounces, complaints: processed, committed, then deleted from the mailbox)
and leaves everything else where it is, unread: a person may still want to read it.
"""
from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted

from extensions import db
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
    """Processes every message in the folder that is not too large; returns what it did."""
    run = MailboxRun()
    with _mailbox(config) as mailbox:
        criteria = AND(size_lt=config["MAIL_BOUNCE_MAX_BYTES"])
        done: list[str] = []
        for message in mailbox.fetch(criteria, mark_seen=False, bulk=CHUNK):
            outcome = process_message(message.obj, "imap")
            if outcome.recorded:
                run.recorded += 1
            elif outcome.recognised:
                run.duplicates += 1
            else:
                run.left_alone += 1
            if outcome.recognised and message.uid:
                done.append(message.uid)
            if len(done) >= CHUNK:
                _settle(mailbox, done)
        _settle(mailbox, done)
    log.info("bounce mailbox: %s recorded, %s already known, %s left alone",
             run.recorded, run.duplicates, run.left_alone)
    return run


def _settle(mailbox: BaseMailBox, done: list[str]) -> None:
    """Commits first, deletes after: a crash in between only repeats reports (changing nothing)."""
    db.session.commit()
    if done:
        mailbox.delete(list(done))
        done.clear()
