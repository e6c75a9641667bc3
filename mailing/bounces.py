"""Bounce and complaint intake: one processing path for the mailbox, the Postfix pipe and the webhook.

A report is read with kept parsers, never with home-made patterns for its wording: RFC 3464 delivery
status notifications with the standard library's `email` package, RFC 5965 (ARF) feedback reports the
same way, and the many relays that write neither with `flufl.bounce` (Mailman's detectors). Auto-replies
(RFC 3834 `Auto-Submitted`, vacation messages) and anything else are left alone. A report counts only
for the outbox row its signed VERP return path names (`mailing.verp`); what it means for a contact is
for the features to decide (the `message_bounced` signal, with `report`).
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

import flufl.bounce
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from extensions import db
from mailing.models import BounceKind, BounceReport, OutgoingMessage
from mailing.signals import message_bounced
from mailing.verp import row_ids_in

log = logging.getLogger(__name__)

# Headers where the return path a report was sent to shows up (the MTA's delivery headers first).
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
# RFC 3464 section 2.3.4: class.subject.detail.
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
_EMBEDDED = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/feedback-report")


@dataclass(frozen=True)
class Finding:
    """What a report says about one message."""

    kind: BounceKind
    status_code: str | None = None
    diagnostic: str | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class Outcome:
    recorded: bool  # a new report was stored
    recognised: bool  # ours and understood (new or a duplicate): the mailbox may drop it
    reason: str
    report_id: int | None = None


def _ignored(reason: str, source: str) -> Outcome:
    log.info("bounce intake (%s): ignored: %s", source, reason)
    return Outcome(recorded=False, recognised=False, reason=reason)


def process_bytes(raw: bytes, source: str, *, recipient: str | None = None) -> Outcome:
    """Processes one mail as it came in (pipe, mailbox); never raises for what the mail holds."""
    limit = current_app.config["MAIL_BOUNCE_MAX_BYTES"]
    if len(raw) > limit:
        return _ignored(f"{len(raw)} bytes, more than MAIL_BOUNCE_MAX_BYTES ({limit})", source)
    return process_message(email.message_from_bytes(raw, policy=email.policy.compat32), source,
                           recipient=recipient, raw=raw)


def process_message(message: Message, source: str, *, recipient: str | None = None,
                    raw: bytes | None = None) -> Outcome:
    try:
        finding = classify(message)
        row_ids = _named_rows(message, recipient)
    except (ValueError, LookupError, TypeError, AttributeError, UnicodeError) as error:
        return _ignored(f"malformed report ({type(error).__name__}: {error})", source)
    if isinstance(finding, str):
        return _ignored(finding, source)
    if not row_ids:
        return _ignored("no signed return path of ours in it (forged or not a reply to our mail)", source)
    key = message.get("Message-ID") or hashlib.sha256(raw or message.as_bytes()).hexdigest()
    return record(row_ids[0], finding, key=str(key), source=source)


def record(row_id: int, finding: Finding, *, key: str, source: str) -> Outcome:
    """Stores a report for an outbox row once and announces it; the same report (`key`) again
    changes nothing. Flushes, never commits: the caller's unit of work does."""
    row = db.session.get(OutgoingMessage, row_id)
    if row is None:
        return _ignored(f"outbox row {row_id} does not exist (any more)", source)
    if finding.recipient and finding.recipient.lower() != row.to_address.lower():
        return _ignored(f"report for {finding.recipient!r} but row {row_id} went to another address", source)
    fingerprint = hashlib.sha256(f"{row_id}|{finding.kind}|{key}".encode()).hexdigest()
    if db.session.scalar(sa.select(BounceReport.id).where(BounceReport.fingerprint == fingerprint)):
        log.info("bounce intake (%s): row %s: already processed", source, row_id)
        return Outcome(recorded=False, recognised=True, reason="duplicate")
    report = BounceReport(
        fingerprint=fingerprint, message_id=row.id, organisation_id=row.organisation_id,
        campaign_id=row.campaign_id, contact_id=row.contact_id, kind=finding.kind,
        status_code=finding.status_code, diagnostic=(finding.diagnostic or "")[:1000] or None,
        recipient=(finding.recipient or row.to_address)[:254], source=source,
    )
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:  # the same report through another way in, at the same moment
        return Outcome(recorded=False, recognised=True, reason="duplicate")
    log.info("bounce intake (%s): row %s: %s %s", source, row_id, finding.kind, finding.status_code or "")
    message_bounced.send(current_app._get_current_object(), message=row, report=report)
    return Outcome(recorded=True, recognised=True, reason=str(finding.kind), report_id=report.id)


def store_refusal(sent: OutgoingMessage) -> BounceReport:
    """Keeps a send-time refusal (5.1.x from our relay) as a hard-bounce report, as the evidence
    on the contact and in the campaign's figures; the worker has already recorded it on the row."""
    fingerprint = hashlib.sha256(f"{sent.id}|smtp".encode()).hexdigest()
    known = db.session.scalar(sa.select(BounceReport).where(BounceReport.fingerprint == fingerprint))
    if known is not None:
        return known
    row = db.session.get_one(OutgoingMessage, sent.id, populate_existing=True)
    reply = row.smtp_response or row.last_error or ""
    status = next((word for word in reply.split() if _STATUS.match(word)), None)
    report = BounceReport(
        fingerprint=fingerprint, message_id=row.id,
        organisation_id=row.organisation_id, campaign_id=row.campaign_id, contact_id=row.contact_id,
        kind=BounceKind.HARD, status_code=status, diagnostic=reply[:1000] or None,
        recipient=row.to_address, source="smtp",
    )
    db.session.add(report)
    db.session.flush()
    return report


def classify(message: Message) -> Finding | str:
    """A finding, or why the mail is none of ours to act on."""
    report_type = message.get_param("report-type", header="content-type")
    if message.get_content_type() == "multipart/report" and isinstance(report_type, str):
        if report_type.lower() == "feedback-report":
            return _feedback(message)
        if report_type.lower() == "delivery-status":
            return _delivery_status(message)
    if _is_auto_reply(message) and not _from_mail_system(message):
        return "auto-reply (RFC 3834)"
    return _non_standard(message)


def _from_mail_system(message: Message) -> bool:
    """Bounces are auto-replies too (RFC 3834 5.1); they come from the mail system, with an empty
    return path, where a vacation message comes from its person."""
    sender = parseaddr(str(message.get("From", "")))[1].lower().partition("@")[0]
    return message.get("Return-Path", "").strip() == "<>" or sender in ("mailer-daemon", "postmaster")


def _is_auto_reply(message: Message) -> bool:
    auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return (auto_submitted != "no" or precedence in ("auto_reply", "bulk", "junk", "list")
            or any(message.get(name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")))


def _feedback(message: Message) -> Finding | str:
    part = next((p for p in message.walk() if p.get_content_type() == "message/feedback-report"), None)
    if part is None:
        return "feedback report without its machine-readable part"
    fields = _fields(part)
    if not fields:
        return "feedback report that cannot be read"
    feedback_type = fields[0].get("Feedback-Type", "").strip().lower()
    if feedback_type not in ("abuse", "fraud", "virus", "other"):
        return f"feedback report of type {feedback_type!r}, not a complaint"
    recipient = _address(fields[0].get("Original-Rcpt-To"))
    return Finding(BounceKind.COMPLAINT, diagnostic=f"Feedback-Type: {feedback_type}",
                   recipient=recipient)


def _delivery_status(message: Message) -> Finding | str:
    part = next((p for p in message.walk() if p.get_content_type() == "message/delivery-status"), None)
    if part is None:
        return "delivery report without its machine-readable part"
    blocks = _fields(part)
    for block in blocks[1:] or blocks:  # the first block is about the message, the rest per recipient
        action = (block.get("Action") or "").strip().lower()
        status = (block.get("Status") or "").strip().split(" ")[0]
        match = _STATUS.match(status)
        if action != "failed" or not match:
            continue
        kind = BounceKind.HARD if match.group(1) == "5" else BounceKind.SOFT
        recipient = _address(block.get("Original-Recipient")) or _address(block.get("Final-Recipient"))
        diagnostic = " ".join((block.get("Diagnostic-Code") or "").split()).partition(";")[2].strip()
        return Finding(kind, status_code=status, diagnostic=diagnostic or None, recipient=recipient)
    return "delivery report without a failed recipient (a delay warning or a success notice)"


def _fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str):  # some writers give it a transfer encoding: parse it ourselves
        text = part.get_payload(decode=True) or b""
        return [email.message_from_bytes(chunk.strip() + b"\n") for chunk in re.split(rb"\r?\n\r?\n", text)
                if chunk.strip()]
    return []


def _address(value: str | None) -> str | None:
    """The address of an RFC 3464 field such as `rfc822; jan@example.nl`."""
    if not value:
        return None
    address_type, _, address = value.partition(";")
    if not address:
        address = address_type
    elif address_type.strip().lower() != "rfc822":
        return None
    address = parseaddr(address.strip())[1].strip().lower()
    return address if "@" in address else None


def _non_standard(message: Message) -> Finding | str:
    """Relays that write no RFC 3464 report: Mailman's detectors find the failed address."""
    temporary, permanent = flufl.bounce.all_failures(message)  # in this order
    if not permanent and not temporary:
        return "not a bounce, a complaint or an auto-reply that we recognise"
    kind = BounceKind.HARD if permanent else BounceKind.SOFT
    address = next(iter(permanent or temporary)).decode("ascii", "replace").lower()
    return Finding(kind, diagnostic="non-standard bounce (recognised by flufl.bounce)",
                   recipient=address if "@" in address else None)


def _named_rows(message: Message, recipient: str | None) -> list[int]:
    """The outbox rows a report names: the address it was delivered to first, then the return
    path of the original message it quotes."""
    where_sent = " ".join([recipient or ""] + [str(v) for name in _RECIPIENT_HEADERS
                                                for v in message.get_all(name, [])])
    return row_ids_in(where_sent) or row_ids_in(" ".join(_quoted_headers(message)))


def _quoted_headers(message: Message) -> list[str]:
    """The Return-Path (and other headers) of the original message a report quotes."""
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() not in _EMBEDDED:
            continue
        payload = part.get_payload()
        quoted = payload if isinstance(payload, list) else [email.message_from_string(str(payload))]
        for original in quoted:
            if isinstance(original, Message):
                found.extend(f"{name}: {value}" for name, value in original.items())
    if not found:  # a relay that pastes the original into the text: its headers are in the body
        for part in message.walk():
            if part.get_content_maintype() == "text":
                body = part.get_payload(decode=True) or b""
                found.append(body[:200_000].decode("latin-1"))
    return found
