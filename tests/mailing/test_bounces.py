"""Bounces come back: the VERP return path, the parsers, and the Postfix pipe (`flask mailing bounce`)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from accounts.models import Organisation
from campaigns.models import Contact, ContactStatus
from extensions import db
from mailing.models import BounceKind, BounceReport, MessageKind, OutgoingMessage
from mailing.verp import return_path
from mailing.worker import run_worker
from tests.factories import make_contact, make_message, make_organisation, queue_mail
from tests.mailing.conftest import Relay

FIXTURES = Path(__file__).parent / "bounce_fixtures"
BOUNCE_DOMAIN = "bounces.gemeente.example"
RECOGNISED = {
    "dsn_postfix_hard.eml": (BounceKind.HARD, "5.1.1"),
    "dsn_exim_soft.eml": (BounceKind.SOFT, "4.2.2"),
    "dsn_exchange365_hard.eml": (BounceKind.HARD, "5.1.10"),
    "dsn_gmail_hard.eml": (BounceKind.HARD, "5.1.1"),
    "dsn_kpn_hard.eml": (BounceKind.HARD, "5.1.1"),
    "dsn_qmail_hard.eml": (BounceKind.HARD, None),
    "arf_complaint.eml": (BounceKind.COMPLAINT, None),
    "arf_redacted_complaint.eml": (BounceKind.COMPLAINT, None),
}
LEAVE_ALONE = sorted(path.name for path in FIXTURES.glob("leave_*.eml"))


@pytest.fixture
def bounce_app(app: Flask) -> Flask:
    app.config["MAIL_BOUNCE_DOMAIN"] = BOUNCE_DOMAIN
    return app


def campaign_row(contact: Contact, **fields: object) -> OutgoingMessage:
    """An outbox row of campaign mail to `contact`, as a launch writes it."""
    organisation = db.session.get_one(Organisation, contact.organisation_id)
    return make_message(organisation, **({"contact_id": contact.id, "to_address": contact.email,
                                          "kind": MessageKind.CAMPAIGN} | fields))


def filled(name: str, row: OutgoingMessage, *, path: str | None = None, recipient: str | None = None) -> bytes:
    text = (FIXTURES / name).read_text()
    return (text.replace("{return_path}", path or return_path(row.id, row.from_address))
            .replace("{recipient}", recipient or row.to_address).encode())


def pipe(app: Flask, raw: bytes) -> str:
    result = app.test_cli_runner().invoke(args=["mailing", "bounce"], input=raw)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def reports() -> list[BounceReport]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(BounceReport).order_by(BounceReport.id)))


def status_of(contact: Contact) -> ContactStatus:
    db.session.expire_all()
    return db.session.get_one(Contact, contact.id).status


def test_every_message_leaves_with_a_signed_return_path_naming_its_row(bounce_app: Flask, relay: Relay) -> None:
    bounce_app.config.update(MAIL_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=relay.port, SMTP_TIMEOUT=5.0)
    first, second, third = queue_mail(3)
    assert run_worker(once=True) == 3
    assert relay.handler.senders == [return_path(row.id, row.from_address) for row in (first, second, third)]
    local, _, domain = relay.handler.senders[0].partition("@")
    assert domain == BOUNCE_DOMAIN and local.startswith(f"bounces+{first.id}-") and local == local.lower()
    assert [m["From"].addresses[0].addr_spec for m in relay.received] == ["nieuws@gemeente.example"] * 3


def test_without_a_bounce_domain_the_envelope_sender_stays_the_from_address(smtp_app: Flask, relay: Relay) -> None:
    queue_mail(2)
    run_worker(once=True)
    assert relay.handler.senders == ["nieuws@gemeente.example"] * 2


@pytest.mark.parametrize("name", sorted(RECOGNISED))
def test_reports_in_the_formats_real_relays_write_are_recognised(bounce_app: Flask, name: str) -> None:
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    assert pipe(bounce_app, filled(name, row)) == str(RECOGNISED[name][0])
    (report,) = reports()
    assert (report.message_id, report.contact_id, report.organisation_id) == (row.id, contact.id, contact.organisation_id)
    assert (report.kind, report.status_code) == RECOGNISED[name]
    assert report.source == "pipe"


def test_the_diagnostic_text_is_kept_as_evidence(bounce_app: Flask) -> None:
    row = campaign_row(make_contact(make_organisation()))
    pipe(bounce_app, filled("dsn_gmail_hard.eml", row))
    (report,) = reports()
    assert report.diagnostic.startswith("550-5.1.1 The email account that you tried to reach does not exist.")


@pytest.mark.parametrize("name", LEAVE_ALONE)
def test_auto_replies_and_other_mail_are_left_alone(bounce_app: Flask, name: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    with caplog.at_level(logging.INFO, logger="mailing.bounces"):
        pipe(bounce_app, filled(name, row))
    assert reports() == [] and status_of(contact) == ContactStatus.SUBSCRIBED
    assert "ignored" in caplog.text


def test_the_leave_alone_set_is_not_empty() -> None:
    assert len(LEAVE_ALONE) >= 8


def test_a_forged_token_changes_nothing(bounce_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    genuine = return_path(row.id, row.from_address)
    local, _, domain = genuine.partition("@")
    forged = f"{local[:-4]}{'0000' if not local.endswith('0000') else '1111'}@{domain}"
    other_row = f"bounces+{row.id + 1}-{local.rpartition('-')[2]}@{domain}"
    with caplog.at_level(logging.INFO, logger="mailing.bounces"):
        for path in (forged, other_row, genuine.replace(BOUNCE_DOMAIN, "elders.example")):
            pipe(bounce_app, filled("dsn_postfix_hard.eml", row, path=path))
    assert reports() == [] and status_of(contact) == ContactStatus.SUBSCRIBED
    assert caplog.text.count("no signed return path of ours") == 3


@pytest.mark.parametrize("raw", [
    b"", b"\x00\xff\xfe garbage \r\n\r\n\x00",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\nContent-Type: "
    b"message/delivery-status\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\nFinal-Recipient: rfc822; \r\n",
    b"Content-Type: multipart/report; report-type=delivery-status\r\n\r\nno boundary at all",
    b"Content-Type: multipart/report; report-type=feedback-report; boundary=y\r\n\r\n--y\r\n"
    b"Content-Type: message/feedback-report\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--y--",
], ids=["empty", "binary", "truncated-dsn", "no-boundary", "broken-arf"])
def test_malformed_reports_are_ignored_with_a_log_line(bounce_app: Flask, raw: bytes,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    with caplog.at_level(logging.INFO, logger="mailing.bounces"):
        pipe(bounce_app, raw.replace(b"Action:", f"To: {return_path(row.id, row.from_address)}\r\nAction:".encode()))
    assert reports() == [] and status_of(contact) == ContactStatus.SUBSCRIBED
    assert "ignored" in caplog.text


def test_a_report_naming_another_address_than_the_row_changes_nothing(bounce_app: Flask) -> None:
    """A genuine return path of organisation A's row with organisation B's contact as the failed
    recipient: nothing happens to either."""
    ours, theirs = make_contact(make_organisation()), make_contact(make_organisation())
    row = campaign_row(ours)
    pipe(bounce_app, filled("dsn_postfix_hard.eml", row, recipient=theirs.email))
    assert reports() == []
    assert status_of(ours) == status_of(theirs) == ContactStatus.SUBSCRIBED


def test_a_row_pointing_at_another_organisations_contact_changes_nothing(bounce_app: Flask) -> None:
    mine = make_organisation()
    stranger = make_contact(make_organisation())
    row = make_message(mine, contact_id=stranger.id, to_address=stranger.email, kind=MessageKind.CAMPAIGN)
    pipe(bounce_app, filled("dsn_postfix_hard.eml", row))
    assert status_of(stranger) == ContactStatus.SUBSCRIBED


def test_a_bounce_processed_twice_changes_nothing_the_second_time(bounce_app: Flask) -> None:
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    raw = filled("dsn_exim_soft.eml", row)
    assert pipe(bounce_app, raw) == "soft"
    before = [(r.id, r.received_at) for r in reports()]
    assert pipe(bounce_app, raw) == "duplicate"
    assert pipe(bounce_app, raw.replace(b"Envelope-to:", b"X-Seen-By: imap\nEnvelope-to:")) == "duplicate"
    assert [(r.id, r.received_at) for r in reports()] == before


def test_a_huge_mail_on_the_pipe_is_refused_unread(bounce_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    raw = filled("dsn_postfix_hard.eml", row) + b"x" * (50 * 1024 * 1024)
    with caplog.at_level(logging.INFO, logger="mailing.bounces"):
        assert "MAIL_BOUNCE_MAX_BYTES" in pipe(bounce_app, raw)
    assert reports() == [] and status_of(contact) == ContactStatus.SUBSCRIBED


def test_the_pipe_finds_the_row_from_the_recipient_postfix_passes(bounce_app: Flask) -> None:
    """With `bounces@` in every header (a relay that rewrites them), ${original_recipient} decides."""
    contact = make_contact(make_organisation())
    row = campaign_row(contact)
    raw = filled("dsn_postfix_hard.eml", row, path=f"bounces@{BOUNCE_DOMAIN}")
    assert pipe(bounce_app, raw) != "hard"
    result = bounce_app.test_cli_runner().invoke(
        args=["mailing", "bounce", "--recipient", return_path(row.id, row.from_address)], input=raw)
    assert result.output.strip() == "hard" and status_of(contact) == ContactStatus.BOUNCED
