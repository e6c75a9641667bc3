"""The worker against a real SMTP relay on loopback: sent, retried later, failed, and what arrives."""
from __future__ import annotations

import signal
import ssl
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult, LoginPassword
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from mailing.outbox import Attachment, HeaderInjectionError, Mail, Sender, queue
from mailing.signals import message_bounced
from mailing.transports import OUTBOX_RESPONSE, Envelope, SmtpTransport
from mailing.worker import run_worker
from tests.factories import make_event, make_organisation, outbox, queue_mail, signup_url
from tests.mailing.conftest import Relay, free_port, worker_process

# The refusal paths with a relay that offers PIPELINING (commands in one write, replies read
# after) and with one that does not (each command waits for its reply).
BOTH_MODES = pytest.mark.parametrize("relay", [True, False], indirect=True, ids=["pipelining", "one-at-a-time"])


def rows() -> list[OutgoingMessage]:
    db.session.expire_all()
    return outbox()


def fast_forward() -> None:
    """As if the retry delay has passed."""
    db.session.execute(sa.update(OutgoingMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_signup_mail_reaches_the_relay_as_text_html_and_calendar(smtp_app: Flask, client: FlaskClient,
                                                                relay: Relay) -> None:
    event = make_event(make_organisation(), title="Veilig bankieren")
    client.post(signup_url(event), data={"name": "Anna de Vries", "email": "anna@example.org"})
    assert run_worker(once=True) == 1
    (received,) = relay.received
    (row,) = rows()
    assert row.status == MessageStatus.SENT and row.attempts == 1
    assert row.smtp_response.startswith("250 2.0.0 Ok") and row.sent_at is not None
    sender_domain = event.organisation.mail_from_address.split("@")[1]
    assert received["Message-ID"] == row.message_id and row.message_id.endswith(f"@{sender_domain}>")
    assert received["To"].addresses[0].display_name == "Anna de Vries"
    assert received["From"].addresses[0].addr_spec == event.organisation.mail_from_address
    assert received.get_content_type() == "multipart/mixed"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "http://localhost/aanmelding/" in text and "http://localhost/aanmelding/" in html
    (calendar,) = list(received.iter_attachments())
    assert calendar.get_filename() == "uitnodiging.ics"
    assert "SUMMARY:Veilig bankieren" in calendar.get_content()


def test_relay_down_at_signup_keeps_the_mail_until_the_relay_is_back(app: Flask, client: FlaskClient,
                                                                   relay: Relay) -> None:
    app.config.update(MAIL_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    event = make_event(make_organisation())
    response = client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    assert response.status_code == 302
    assert run_worker(once=True) == 0
    (row,) = rows()
    assert row.status == MessageStatus.QUEUED and row.attempts == 1
    assert "cannot reach" in row.last_error and row.next_attempt_at > utcnow()
    app.config["SMTP_PORT"] = relay.port
    assert run_worker(once=True) == 0  # not due yet
    fast_forward()
    assert run_worker(once=True) == 1
    assert rows()[0].status == MessageStatus.SENT and len(relay.received) == 1


@BOTH_MODES
def test_temporary_refusal_is_retried_later_with_growing_delay(smtp_app: Flask, relay: Relay) -> None:
    (message,) = queue_mail()
    relay.refuse(message.to_address, "450 4.2.1 Mailbox busy, try later", "451 4.3.0 Still busy")
    delays = []
    for attempt in (1, 2):
        started = utcnow()
        run_worker(once=True)
        (row,) = rows()
        assert row.status == MessageStatus.QUEUED and row.attempts == attempt
        assert row.last_error.startswith("45")
        delays.append((row.next_attempt_at - started).total_seconds())
        fast_forward()
    assert 30 <= delays[0] <= 61 and 60 <= delays[1] <= 121  # base 60 s doubling, jitter 50-100 %
    run_worker(once=True)
    assert rows()[0].status == MessageStatus.SENT and len(relay.received) == 1


@BOTH_MODES
def test_permanent_refusal_fails_at_once_and_reports_a_hard_bounce(smtp_app: Flask, relay: Relay) -> None:
    bounced, other = queue_mail(2)
    relay.refuse(bounced.to_address, "550 5.1.1 No such user")
    reported = []
    with message_bounced.connected_to(lambda sender, message: reported.append(message.to_address)):
        run_worker(once=True)
    fast_forward()
    run_worker(once=True)
    failed, sent = rows()
    assert failed.status == MessageStatus.FAILED and failed.attempts == 1
    assert failed.smtp_response == "550 5.1.1 No such user"
    assert sent.status == MessageStatus.SENT
    assert reported == [bounced.to_address]
    assert [m["To"].addresses[0].addr_spec for m in relay.received] == [other.to_address]


@BOTH_MODES
def test_policy_refusal_fails_without_marking_a_bounce(smtp_app: Flask, relay: Relay) -> None:
    (message,) = queue_mail()
    relay.refuse(message.to_address, "554 5.7.1 Message refused")
    reported = []
    with message_bounced.connected_to(lambda sender, **kwargs: reported.append(kwargs)):
        run_worker(once=True)
    assert rows()[0].status == MessageStatus.FAILED and reported == []


@BOTH_MODES
def test_421_mid_session_and_connection_reset_are_retried_and_the_batch_goes_on(smtp_app: Flask,
                                                                               relay: Relay) -> None:
    closing, reset, fine = queue_mail(3)
    relay.refuse(closing.to_address, "421 4.3.2 Service shutting down")
    relay.refuse(reset.to_address, "reset")
    assert run_worker(once=True) == 1
    statuses = {row.to_address: (row.status, row.attempts) for row in rows()}
    assert statuses == {closing.to_address: (MessageStatus.QUEUED, 1), reset.to_address: (MessageStatus.QUEUED, 1),
                        fine.to_address: (MessageStatus.SENT, 1)}
    fast_forward()
    assert run_worker(once=True) == 2
    assert relay.handler.count_by_recipient() == {closing.to_address: 1, reset.to_address: 1, fine.to_address: 1}


def test_after_the_last_attempt_a_message_fails(smtp_app: Flask, relay: Relay) -> None:
    smtp_app.config["MAIL_MAX_ATTEMPTS"] = 2
    (message,) = queue_mail()
    relay.refuse(message.to_address, *["450 4.2.1 Busy"] * 3)
    run_worker(once=True)
    fast_forward()
    run_worker(once=True)
    (row,) = rows()
    assert row.status == MessageStatus.FAILED and row.attempts == 2 and relay.received == []


def test_campaign_headers_inline_parts_and_non_ascii_survive_the_trip(smtp_app: Flask, relay: Relay) -> None:
    (message,) = queue_mail(
        subject="Één nieuwsbrief over wachtwoorden, phishing, back-ups en nog veel meer dat u moet weten",
        headers={"List-Unsubscribe": "<https://weerbaar.example/afmelden/abc>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        html_body='<p>Logo: <img src="cid:logo@weerbaar"></p>',
        attachments=[Attachment("logo.png", "image/png", b"\x89PNG fake", content_id="logo@weerbaar"),
                     Attachment("folder é.pdf", "application/pdf", b"%PDF-1.4 fake")],
        sender=Sender("nieuws@gemeente.example", "Gemeente Sûdwest-Fryslân"),
    )
    run_worker(once=True)
    (received,) = relay.received
    assert received["Subject"] == message.subject
    assert received["From"].addresses[0].display_name == "Gemeente Sûdwest-Fryslân"
    assert received["List-Unsubscribe"] == "<https://weerbaar.example/afmelden/abc>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    alternative, pdf = received.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, related = alternative.iter_parts()
    html, logo = related.iter_parts()
    assert related.get_content_type() == "multipart/related"
    assert logo["Content-ID"] == "<logo@weerbaar>" and logo.get_content() == b"\x89PNG fake"
    assert pdf.get_filename() == "folder é.pdf" and pdf.get_content() == b"%PDF-1.4 fake"
    assert "Beste ontvanger 0," in text.get_content()


def test_line_breaks_can_reach_no_header(smtp_app: Flask, relay: Relay) -> None:
    with pytest.raises(HeaderInjectionError):
        queue(Mail("a@example.org", "x", "x", "test", Sender("n@example.org"),
                   headers={"List-Unsubscribe": "<https://x>\r\nBcc: victim@example.org"}))
    db.session.rollback()
    (message,) = queue_mail()
    # A row written around queue() is refused when it is built, and never half-sent.
    db.session.execute(sa.update(OutgoingMessage).values(headers={"X-Tag": "a\nBcc: victim@example.org"}))
    db.session.commit()
    run_worker(once=True)
    (row,) = rows()
    assert row.status == MessageStatus.FAILED and "line break" in row.last_error
    assert relay.received == []


@BOTH_MODES
def test_a_message_that_cannot_be_built_between_two_good_ones_sends_nothing_of_its_own(smtp_app: Flask,
                                                                                      relay: Relay) -> None:
    """With PIPELINING its envelope was already opened behind the first message: it is abandoned
    by dropping the connection, never finished with an empty message."""
    first, broken, last = queue_mail(3)
    db.session.execute(sa.update(OutgoingMessage).where(OutgoingMessage.id == broken.id)
                       .values(headers={"X-Tag": "a\nBcc: victim@example.org"}))
    db.session.commit()
    assert run_worker(once=True) == 2
    assert relay.handler.count_by_recipient() == {first.to_address: 1, last.to_address: 1}
    assert all(message.get_body(("plain",)) is not None for message in relay.received)
    assert {row.to_address: row.status for row in rows()}[broken.to_address] == MessageStatus.FAILED


def test_an_envelope_opened_for_a_message_never_sent_delivers_nothing(relay: Relay) -> None:
    """The worker stopped after a message whose follower's envelope went with it (SIGTERM)."""
    transport = SmtpTransport("127.0.0.1", relay.port, timeout=5.0)
    data = b"Subject: een\r\n\r\nTekst\r\n"
    assert transport.send(Envelope("n@example.org", "een@example.org", data),
                          following=("n@example.org", "twee@example.org")).startswith("250")
    transport.close()
    time.sleep(0.2)  # the relay notices the dropped connection
    assert relay.handler.count_by_recipient() == {"een@example.org": 1}
    transport.send(Envelope("n@example.org", "twee@example.org", data))  # a new connection works
    assert relay.handler.count_by_recipient() == {"een@example.org": 1, "twee@example.org": 1}


def test_an_address_on_an_international_domain_travels_in_its_ascii_form(smtp_app: Flask, relay: Relay) -> None:
    queue_mail(to_address="jan@müller.example", to_name="Jan Müller")
    assert run_worker(once=True) == 1
    (received,) = relay.received
    assert relay.handler.count_by_recipient() == {"jan@xn--mller-kva.example": 1}
    assert received["To"].addresses[0].addr_spec == "jan@xn--mller-kva.example"
    assert received["To"].addresses[0].display_name == "Jan Müller"


@pytest.mark.parametrize(("address", "travels_as"), [
    ("jan@faß.de", "jan@xn--fa-hia.de"),  # IDNA 2003 (Python's codec) would send it to jan@fass.de
    ("eleni@ςαφής.gr", "eleni@xn--jxaf4ccs.gr"),  # IDNA 2003: the final sigma would become σ
    ("jan@FAß.De", "jan@xn--fa-hia.de"),  # UTS #46 maps case
], ids=["sharp-s", "final-sigma", "mapped-case"])
def test_international_domains_follow_idna_2008_not_2003(smtp_app: Flask, relay: Relay, address: str,
                                                        travels_as: str) -> None:
    queue_mail(to_address=address)
    assert run_worker(once=True) == 1
    assert relay.handler.count_by_recipient() == {travels_as: 1}
    assert relay.received[0]["To"].addresses[0].addr_spec == travels_as


def test_a_domain_idna_2008_refuses_fails_the_message_with_the_reason(smtp_app: Flask, relay: Relay) -> None:
    """A snowman was a valid domain letter in IDNA 2003; now the message fails, the worker goes on."""
    queue_mail(to_address="jan@☃.example")
    (good,) = queue_mail()
    assert run_worker(once=True) == 1  # the one sent
    statuses = {row.to_address: (row.status, row.last_error) for row in rows()}
    status, error = statuses["jan@☃.example"]
    assert status == MessageStatus.FAILED and "IDNA 2008" in error and "U+2603" in error
    assert statuses[good.to_address][0] == MessageStatus.SENT
    assert relay.handler.count_by_recipient() == {good.to_address: 1}


def test_a_local_part_that_is_not_ascii_fails_as_not_sendable(smtp_app: Flask, relay: Relay) -> None:
    """It would need the relay's SMTPUTF8; it fails at once instead of being retried for days."""
    queue_mail(to_address="zoë@example.org")
    run_worker(once=True)
    (row,) = rows()
    assert row.status == MessageStatus.FAILED and row.last_error.startswith("invalid message")
    assert relay.received == []


def test_outbox_transport_marks_mail_sent_for_the_catcher_without_network(app: Flask) -> None:
    assert app.config["MAIL_TRANSPORT"] == "outbox"
    queue_mail(2)
    assert run_worker(once=True) == 2
    assert {(row.status, row.smtp_response) for row in rows()} == {(MessageStatus.SENT, OUTBOX_RESPONSE)}


def test_expired_lease_goes_back_to_the_queue(smtp_app: Flask, relay: Relay) -> None:
    (message,) = queue_mail()
    db.session.execute(sa.update(OutgoingMessage).values(
        status=MessageStatus.SENDING, attempts=1, leased_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert run_worker(once=True) == 1
    (row,) = rows()
    assert row.status == MessageStatus.SENT and row.attempts == 2 and len(relay.received) == 1


def test_rate_limit_spaces_the_messages(smtp_app: Flask, relay: Relay) -> None:
    smtp_app.config["MAIL_RATE_PER_SECOND"] = 20.0
    queue_mail(5)
    started = time.monotonic()
    assert run_worker(once=True) == 5
    assert time.monotonic() - started >= 4 / 20


def test_sigterm_finishes_the_message_in_hand_and_gives_the_rest_back(app: Flask, database_url: str,
                                                                      relay: Relay) -> None:
    queue_mail(20)
    worker = worker_process(database_url, relay.port, "--batch-size", "20", MAIL_RATE_PER_SECOND="10")
    deadline = time.monotonic() + 20
    while relay.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0, worker.stderr.read()
    sent = [row for row in rows() if row.status == MessageStatus.SENT]
    waiting = [row for row in rows() if row.status != MessageStatus.SENT]
    assert len(sent) == len(relay.received) and 2 <= len(sent) < 20
    assert {(row.status, row.attempts, row.leased_until) for row in waiting} == {(MessageStatus.QUEUED, 0, None)}


@BOTH_MODES
def test_connection_dropped_by_the_relay_is_reopened_for_the_next_message(smtp_app: Flask, relay: Relay) -> None:
    first, second = queue_mail(2)
    relay.refuse(first.to_address, "hangup")
    assert run_worker(once=True) == 2
    assert {(row.status, row.attempts) for row in rows()} == {(MessageStatus.SENT, 1)}
    assert relay.handler.count_by_recipient() == {first.to_address: 1, second.to_address: 1}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_relay_login_with_username_and_password(app: Flask) -> None:
    def check(server: object, session: object, envelope: object, mechanism: str, login: LoginPassword) -> AuthResult:
        accepted = (login.login, login.password) in {("weerbaar", "geheim"), (b"weerbaar", b"geheim")}
        return AuthResult(success=accepted, handled=False)  # handled=False: aiosmtpd answers 535 itself

    relay = Relay(authenticator=check, auth_require_tls=False, auth_required=True)
    relay.controller.start()
    try:
        app.config.update(MAIL_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=relay.port, SMTP_TIMEOUT=1.0,
                          SMTP_USERNAME="weerbaar", SMTP_PASSWORD="fout")
        queue_mail()
        run_worker(once=True)
        (row,) = rows()
        assert row.status == MessageStatus.QUEUED and "cannot reach" in row.last_error  # waits, not failed
        app.config["SMTP_PASSWORD"] = "geheim"
        fast_forward()
        assert run_worker(once=True) == 1 and relay.count() == 1
    finally:
        relay.controller.stop()


@pytest.mark.parametrize(
    ("html_body", "transfer_encoding"),
    [
        ("<p>Beste Zoë – welkom</p>", "7bit"),
        ("<p>" + "é" * 2000 + "</p>", "quoted-printable"),
        ('<style>.x { font-family: "Café Sans"; }</style><p>Zoë</p>', "quoted-printable"),
    ],
    ids=["references", "long-line", "non-ascii-css"],
)
def test_html_part_arrives_with_the_same_characters(smtp_app: Flask, relay: Relay, html_body: str,
                                                    transfer_encoding: str) -> None:
    queue_mail(html_body=html_body, text_body="Zoë")
    run_worker(once=True)
    (received,) = relay.received
    html = received.get_body(("html",))
    assert html["Content-Transfer-Encoding"] == transfer_encoding
    visible_text = BeautifulSoup(html.get_content(), "html.parser").get_text()
    assert visible_text == BeautifulSoup(html_body, "html.parser").get_text()
    assert received.get_body(("plain",)).get_content().strip() == "Zoë"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_relay_over_tls_with_its_certificate_checked(app: Flask, relay_certificate: tuple[Path, Path],
                                                     security: str) -> None:
    certificate, key = relay_certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificate, key)
    options = {"tls_context": server_context, "require_starttls": True} if security == "starttls" \
        else {"ssl_context": server_context}
    relay = Relay(**options)
    relay.controller.start()
    try:
        app.config.update(MAIL_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=relay.port,
                          SMTP_SECURITY=security, SMTP_TIMEOUT=5.0)
        queue_mail()
        run_worker(once=True)
        (row,) = rows()
        assert row.status == MessageStatus.QUEUED and "CERTIFICATE_VERIFY_FAILED" in row.last_error
        app.config["SMTP_CA_FILE"] = str(certificate)
        fast_forward()
        assert run_worker(once=True) == 1 and relay.count() == 1
    finally:
        relay.controller.stop()
