"""Mails queued to be composed by the worker (mailing.outbox: Composition, @composer, compose_row)."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_babel import get_locale

from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from mailing.outbox import Attachment, Composition, Mail, Sender, composer, queue
from mailing.worker import run_worker

SENDER = Sender("noreply@gemeente.example", "Gemeente Test")
calls: list[dict[str, Any]] = []


@composer("tests.greeting")
def _greeting(args: dict[str, Any]) -> Mail | None:
    calls.append(args)
    if args.get("gone"):
        return None
    if args.get("broken"):
        raise RuntimeError("the database is away")
    return Mail(to_address="anna@example.org", subject=f"Hallo {args['name']}", template="greeting",
                text_body=f"Hallo {args['name']} in {get_locale()}", html_body=f"<p>Hallo {args['name']}</p>",
                sender=SENDER, attachments=[Attachment("groet.txt", "text/plain", b"groet")])


def _queue(**args: Any) -> OutgoingMessage:
    locale = args.pop("locale", "nl")
    message = queue(Mail(to_address="anna@example.org", subject="Hallo", text_body="", template="greeting",
                         sender=SENDER, composition=Composition("tests.greeting", args, locale)))
    db.session.commit()
    calls.clear()
    return message


def _row(message_id: int) -> OutgoingMessage:
    db.session.expire_all()
    return db.session.get_one(OutgoingMessage, message_id)


def test_the_request_stores_only_the_reference_and_the_worker_composes_stores_and_sends(app: Flask) -> None:
    message = _queue(name="Anna")
    assert (message.text_body, message.attachments, message.composer["composer"]) == ("", [], "tests.greeting")
    assert run_worker(once=True) == 1
    row = _row(message.id)
    assert row.status == MessageStatus.SENT and row.composer is None
    assert row.subject == "Hallo Anna" and row.text_body.startswith("Hallo Anna")
    assert [a.filename for a in row.attachments] == ["groet.txt"]
    assert calls == [{"name": "Anna"}]


def test_the_mail_is_composed_in_the_language_it_was_queued_in(app: Flask) -> None:
    message = _queue(name="Anna", locale="en")
    run_worker(once=True)
    assert _row(message.id).text_body == "Hallo Anna in en"


def test_a_mail_that_no_longer_applies_is_cancelled_not_sent(app: Flask) -> None:
    message = _queue(name="Anna", gone=True)
    assert run_worker(once=True) == 0
    row = _row(message.id)
    assert row.status == MessageStatus.CANCELLED and row.sent_at is None
    assert "no longer applies" in row.last_error


@pytest.mark.parametrize("args", [{"name": "Anna", "broken": True}], ids=["composer raises"])
def test_a_composer_that_fails_is_retried_later_with_the_error_on_the_row(app: Flask, args: dict[str, Any]) -> None:
    message = _queue(**args)
    assert run_worker(once=True) == 0
    row = _row(message.id)
    assert row.status == MessageStatus.QUEUED and row.composer is not None and row.attempts == 1
    assert "the database is away" in row.last_error and row.sent_at is None


def test_an_unknown_composer_is_retried_not_lost(app: Flask) -> None:
    message = queue(Mail(to_address="anna@example.org", subject="Hallo", text_body="", template="greeting",
                         sender=SENDER, composition=Composition("tests.nobody", {}, "nl")))
    db.session.commit()
    assert run_worker(once=True) == 0
    row = _row(message.id)
    assert row.status == MessageStatus.QUEUED and "no mail composer 'tests.nobody'" in row.last_error


def test_anonymising_a_mail_still_to_be_composed_cancels_it_and_forgets_the_reference(app: Flask) -> None:
    from mailing.privacy import anonymise_messages

    message = _queue(name="Anna")
    anonymise_messages(OutgoingMessage.id == message.id)
    db.session.commit()
    row = _row(message.id)
    assert row.status == MessageStatus.CANCELLED and row.composer is None
    assert run_worker(once=True) == 0 and calls == []
