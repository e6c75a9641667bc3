"""The relay check against real SMTP servers on loopback (aiosmtpd): plain, STARTTLS, SMTPS, AUTH,
without PIPELINING, refusing the recipient, and nothing listening; the command and the admin page."""
from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from mailing.relay_check import Outcome, RelayReport, RelaySettings, check_relay, explain_reply
from tests.factories import login, make_organisation, make_user
from tests.mailing.conftest import Relay, free_port

RECIPIENT = "controle@example.org"


def settings(port: int, **changes: Any) -> RelaySettings:
    values = {"host": "127.0.0.1", "port": port, "security": "none", "username": "", "password": "",
              "timeout": 5.0, "ca_file": "", "sender": "noreply@gemeente.example"} | changes
    return RelaySettings(**values)


def outcomes(report: RelayReport) -> dict[str, Outcome]:
    return {finding.step: finding.outcome for finding in report.findings}


def finding(report: RelayReport, step: str) -> str:
    return next(f"{item.summary} | {item.relay_answer}" for item in report.findings if item.step == step)


@pytest.fixture
def started() -> Iterator[list[Relay]]:
    relays: list[Relay] = []
    yield relays
    for relay in relays:
        relay.controller.stop()


def start(started: list[Relay], **options: Any) -> Relay:
    relay = Relay(**options)
    relay.controller.start()
    started.append(relay)
    return relay


def tls_context(relay_certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*relay_certificate)
    return context


def test_plain_loopback_relay_passes_and_the_test_message_arrives(app: Flask, relay: Relay) -> None:
    report = check_relay(settings(relay.port), RECIPIENT)
    assert report.passed
    assert outcomes(report) == {"connect": Outcome.OK, "ehlo": Outcome.OK, "starttls": Outcome.OK, "pipelining": Outcome.OK,
                                "size": Outcome.OK, "auth": Outcome.OK, "test_message": Outcome.OK}
    assert "250 relay.test" in finding(report, "ehlo") and "Ok: queued" in finding(report, "test_message")
    (received,) = relay.received
    assert received["Subject"] == "Testbericht van Weerbaar" and received["To"] == RECIPIENT
    assert received["Auto-Submitted"] == "auto-generated" and received["Message-ID"]
    assert received["Message-ID"] in finding(report, "test_message")


def test_without_a_recipient_nothing_is_sent(app: Flask, relay: Relay) -> None:
    report = check_relay(settings(relay.port))
    assert report.passed and outcomes(report)["test_message"] == Outcome.SKIPPED and relay.count() == 0


@pytest.mark.parametrize("relay", [False], indirect=True)
def test_a_relay_without_pipelining_is_a_warning_not_a_failure(app: Flask, relay: Relay) -> None:
    report = check_relay(settings(relay.port), RECIPIENT)
    assert report.passed and outcomes(report)["pipelining"] == Outcome.WARNING
    assert "trager" in finding(report, "pipelining")


def test_recipient_refused_by_the_relay_is_explained_in_dutch(app: Flask, relay: Relay) -> None:
    relay.refuse(RECIPIENT, "550 5.7.1 Relaying denied")
    report = check_relay(settings(relay.port), RECIPIENT)
    assert not report.passed and outcomes(report)["test_message"] == Outcome.FAILED
    text = finding(report, "test_message")
    assert "niet toegestaan" in text and "blijvend" in text and "550 5.7.1 Relaying denied" in text


def test_nothing_listening_is_reported_without_an_exception(app: Flask) -> None:
    report = check_relay(settings(free_port()), RECIPIENT)
    assert not report.passed and outcomes(report) == {"connect": Outcome.FAILED}
    assert "weigert de verbinding" in finding(report, "connect")


def test_an_unknown_host_name_is_reported(app: Flask) -> None:
    report = check_relay(settings(25, host="relay.invalid"))
    assert outcomes(report) == {"connect": Outcome.FAILED}
    assert "onbekend" in finding(report, "connect") or "niet bereikbaar" in finding(report, "connect")


def test_starttls_offered_but_not_used_is_a_warning(app: Flask, started: list[Relay],
                                                    relay_certificate: tuple[Path, Path]) -> None:
    relay = start(started, tls_context=tls_context(relay_certificate))
    report = check_relay(settings(relay.port), RECIPIENT)
    assert report.passed and outcomes(report)["starttls"] == Outcome.WARNING
    assert "SMTP_SECURITY=starttls" in finding(report, "starttls")


def test_starttls_with_an_untrusted_certificate_fails_and_says_why(app: Flask, started: list[Relay],
                                                                  relay_certificate: tuple[Path, Path]) -> None:
    relay = start(started, tls_context=tls_context(relay_certificate), require_starttls=True)
    report = check_relay(settings(relay.port, security="starttls"), RECIPIENT)
    assert not report.passed and outcomes(report)["starttls"] == Outcome.FAILED
    assert "self-signed" in finding(report, "starttls") and "SMTP_CA_FILE" in finding(report, "starttls")
    assert relay.count() == 0


def test_starttls_with_the_relays_ca_reports_the_certificate(app: Flask, started: list[Relay],
                                                             relay_certificate: tuple[Path, Path]) -> None:
    relay = start(started, tls_context=tls_context(relay_certificate), require_starttls=True)
    report = check_relay(settings(relay.port, security="starttls", ca_file=str(relay_certificate[0])), RECIPIENT)
    assert report.passed and relay.count() == 1
    assert outcomes(report)["tls"] == Outcome.OK and "TLSv1." in finding(report, "tls")
    # The test certificate is valid for one day: close to expiry, so a warning that names it.
    assert outcomes(report)["certificate"] == Outcome.WARNING
    certificate = finding(report, "certificate")
    assert "localhost" in certificate and "127.0.0.1" in certificate and "verloopt binnenkort" in certificate
    assert "SHA-256 " in certificate


def test_starttls_required_but_not_offered_fails(app: Flask, relay: Relay) -> None:
    report = check_relay(settings(relay.port, security="starttls"), RECIPIENT)
    assert not report.passed and outcomes(report)["starttls"] == Outcome.FAILED and relay.count() == 0


def test_smtps_from_the_first_byte(app: Flask, started: list[Relay], relay_certificate: tuple[Path, Path]) -> None:
    relay = start(started, ssl_context=tls_context(relay_certificate))
    untrusted = check_relay(settings(relay.port, security="ssl"))
    assert outcomes(untrusted) == {"connect": Outcome.FAILED} and "self-signed" in finding(untrusted, "connect")
    trusted = check_relay(settings(relay.port, security="ssl", ca_file=str(relay_certificate[0])), RECIPIENT)
    assert trusted.passed and "SMTPS" in finding(trusted, "tls") and relay.count() == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_with_wrong_and_right_password(app: Flask, started: list[Relay]) -> None:
    def check(server: object, session: object, envelope: object, mechanism: str, login: LoginPassword) -> AuthResult:
        accepted = (login.login, login.password) == (b"weerbaar", b"geheim")
        return AuthResult(success=accepted, handled=False)  # handled=False: aiosmtpd answers 535 itself

    relay = start(started, authenticator=check, auth_require_tls=False, auth_required=True)
    wrong = check_relay(settings(relay.port, username="weerbaar", password="fout"), RECIPIENT)
    assert not wrong.passed and outcomes(wrong)["auth"] == Outcome.FAILED
    assert "inloggegevens zijn onjuist" in finding(wrong, "auth") and "fout" not in finding(wrong, "auth")
    assert "test_message" not in outcomes(wrong) and relay.count() == 0
    right = check_relay(settings(relay.port, username="weerbaar", password="geheim"), RECIPIENT)
    assert right.passed and "Ingelogd als weerbaar" in finding(right, "auth") and relay.count() == 1
    anonymous = check_relay(settings(relay.port), RECIPIENT)
    assert outcomes(anonymous)["test_message"] == Outcome.FAILED
    assert "vraagt eerst om in te loggen" in finding(anonymous, "test_message")


@pytest.mark.parametrize(("code", "text", "words"), [
    (550, "5.1.1 <x@example.org>: Recipient address rejected", "het adres bestaat niet (blijvend"),
    (452, "4.2.2 Mailbox full", "de mailbox is vol (tijdelijk"),
    (535, "Authentication failed", "de inloggegevens zijn onjuist"),
    (554, "5.7.26 Unauthenticated email is not accepted", "SPF/DKIM/DMARC"),
    (421, "Service not available", "sluit de verbinding (tijdelijk"),
    (599, "something new", "code 599"),
])
def test_relay_answers_in_dutch_words(app: Flask, code: int, text: str, words: str) -> None:
    with app.test_request_context():
        assert words in explain_reply(code, text)


def test_command_prints_the_report_and_exits_by_outcome(app: Flask, relay: Relay) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=relay.port)
    result = app.test_cli_runner().invoke(args=["mailing", "check-relay", "--to", RECIPIENT])
    assert result.exit_code == 0, result.output
    assert "[In orde] PIPELINING" in result.output and "[In orde] Testbericht" in result.output
    assert relay.count() == 1
    app.config["SMTP_PORT"] = free_port()
    result = app.test_cli_runner().invoke(args=["mailing", "check-relay"])
    assert result.exit_code == 1 and "[Probleem] Verbinding" in result.output


def test_page_is_for_the_regional_admin_only(client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ADMIN))
    assert client.get("/beheer/mail/relay").status_code == 403
    assert client.post("/beheer/mail/relay", data={"recipient": RECIPIENT}).status_code == 403


def test_page_runs_the_check_and_sends_the_test_message(app: Flask, client: FlaskClient, relay: Relay) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=relay.port)
    admin = make_user(make_organisation(), Role.ADMIN, regional_admin=True)
    login(client, admin)
    page = client.get("/beheer/mail/relay")
    assert page.status_code == 200 and admin.email in page.get_data(as_text=True)
    assert relay.count() == 0  # a look at the page sends nothing
    answer = client.post("/beheer/mail/relay", data={"recipient": RECIPIENT})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "De mailworker kan via deze relay versturen." in html
    assert "PIPELINING" in html and relay.count() == 1
    bad = client.post("/beheer/mail/relay", data={"recipient": "geen adres"})
    assert bad.status_code == 400 and "Vul een geldig e-mailadres in." in bad.get_data(as_text=True)
    assert relay.count() == 1
