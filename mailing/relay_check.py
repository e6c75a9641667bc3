"""The relay check: connects to the configured relay step by step, as the worker would, and says in
plain Dutch what it found: the connection, STARTTLS, the certificate, AUTH, PIPELINING, the size
limit and, when asked, a test message. `flask mailing check-relay` and the regional admin's page.

It uses the worker's settings (`SMTP_*`) and the worker's TLS context, so a green check means the
worker can send; it stores nothing."""
from __future__ import annotations

import enum
import hashlib
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.timeutils import utcnow
from mailing.transports import ENHANCED_STATUS, relay_tls_context, reply_text

CERTIFICATE_WARNING_DAYS = 14
_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")  # what smtplib can do, most common first


class Outcome(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


OUTCOME_LABELS = {
    Outcome.OK: _l("In orde"),
    Outcome.WARNING: _l("Let op"),
    Outcome.FAILED: _l("Probleem"),
    Outcome.SKIPPED: _l("Overgeslagen"),
}
STEP_LABELS = {
    "connect": _l("Verbinding"),
    "connection": _l("Verbinding"),
    "ehlo": _l("Begroeting (EHLO)"),
    "starttls": _l("STARTTLS"),
    "tls": _l("Versleuteling"),
    "certificate": _l("Certificaat"),
    "pipelining": _l("PIPELINING"),
    "size": _l("Maximale grootte"),
    "auth": _l("Inloggen (AUTH)"),
    "test_message": _l("Testbericht"),
}


@dataclass(frozen=True)
class Finding:
    step: str
    outcome: Outcome
    summary: str
    relay_answer: str = ""


@dataclass
class RelayReport:
    host: str
    port: int
    security: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(finding.outcome != Outcome.FAILED for finding in self.findings)

    def add(self, step: str, outcome: Outcome, summary: str, relay_answer: str = "") -> None:
        self.findings.append(Finding(step, outcome, summary, relay_answer))


@dataclass(frozen=True)
class RelaySettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    timeout: float
    ca_file: str
    sender: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RelaySettings:
        return cls(config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_SECURITY"], config["SMTP_USERNAME"],
                   config["SMTP_PASSWORD"], min(config["SMTP_TIMEOUT"], 15.0), config["SMTP_CA_FILE"],
                   config["MAIL_DEFAULT_SENDER"])


def check_relay(settings: RelaySettings, test_recipient: str | None = None) -> RelayReport:
    report = RelayReport(settings.host, settings.port, settings.security)
    connection = _connect(settings, report)
    if connection is None:
        return report
    try:
        if _greet(connection, report) and _secure(connection, settings, report):
            _report_extensions(connection, report)
            if _log_in(connection, settings, report):
                _send_test_message(connection, settings, test_recipient, report)
    except (smtplib.SMTPException, OSError) as error:
        report.add("connection", Outcome.FAILED, _("De verbinding met de relay viel onverwacht weg."), str(error))
    finally:
        _quit(connection)
    return report


def _connect(settings: RelaySettings, report: RelayReport) -> smtplib.SMTP | None:
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                        context=relay_tls_context(settings.ca_file))
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except ssl.SSLCertVerificationError as error:
        report.add("connect", Outcome.FAILED, _certificate_refused(error), str(error))
        return None
    except smtplib.SMTPConnectError as error:  # it answered, but not with 220
        report.add("connect", Outcome.FAILED, _("De relay op %(where)s neemt nu geen mail aan: %(why)s", where=where,
                                                why=_explained(error)),
                   _answer(error))
        return None
    except (OSError, smtplib.SMTPException) as error:
        report.add("connect", Outcome.FAILED, _unreachable(where, error, settings.timeout), str(error))
        return None
    report.add("connect", Outcome.OK, _("Verbonden met %(where)s; de relay is klaar om mail aan te nemen.",
                                        where=where), "220")
    if settings.security == "ssl":
        _report_certificate(connection, report, _("SMTPS: de verbinding is vanaf het begin versleuteld"))
    return connection


def _unreachable(where: str, error: BaseException, timeout: float) -> str:
    if isinstance(error, socket.gaierror):
        return _("De naam van de relay (%(where)s) is onbekend: controleer SMTP_HOST.", where=where)
    if isinstance(error, ConnectionRefusedError):
        return _("De relay op %(where)s weigert de verbinding: daar luistert geen mailserver. Controleer "
                 "SMTP_HOST en SMTP_PORT.", where=where)
    if isinstance(error, TimeoutError | socket.timeout):
        return _("De relay op %(where)s antwoordt niet binnen %(seconds)s seconden (een firewall?).",
                 where=where, seconds=f"{timeout:g}")
    if isinstance(error, ssl.SSLError):
        return _("Er kon geen versleutelde verbinding met %(where)s worden opgezet (spreekt de relay op deze "
                 "poort wel SMTPS? Anders SMTP_SECURITY=starttls).", where=where)
    return _("De relay op %(where)s is niet bereikbaar.", where=where)


def _greet(connection: smtplib.SMTP, report: RelayReport) -> bool:
    code, reply = connection.ehlo()
    if code == 250:
        report.add("ehlo", Outcome.OK, _("De relay stelt zich voor en noemt wat zij ondersteunt."),
                   f"{code} {reply_text(reply).partition(' ')[0]}")
        return True
    report.add("ehlo", Outcome.FAILED, _("De relay begrijpt EHLO niet: %(why)s", why=explain_reply(code, reply_text(reply))),
               f"{code} {reply_text(reply)}")
    return False


def _secure(connection: smtplib.SMTP, settings: RelaySettings, report: RelayReport) -> bool:
    """STARTTLS as configured; a relay that offers it while Weerbaar does not use it is a warning."""
    offered = connection.has_extn("starttls")
    if settings.security == "ssl":
        return True
    if settings.security == "none":
        if offered:
            report.add("starttls", Outcome.WARNING, _("De relay biedt STARTTLS aan, maar Weerbaar gebruikt het niet "
                                                      "(SMTP_SECURITY=none): mail gaat onversleuteld over het "
                                                      "netwerk. Zet SMTP_SECURITY=starttls."))
        elif _is_loopback(settings.host):
            report.add("starttls", Outcome.OK, _("Geen versleuteling: de relay draait op deze machine, de mail "
                                                 "verlaat haar niet onversleuteld."))
        else:
            report.add("starttls", Outcome.WARNING, _("De relay biedt geen STARTTLS aan: mail gaat onversleuteld "
                                                      "over het netwerk."))
        return True
    if not offered:
        report.add("starttls", Outcome.FAILED, _("SMTP_SECURITY=starttls, maar de relay biedt geen STARTTLS aan: "
                                                 "de worker kan zo niet versturen."))
        return False
    try:
        code, reply = connection.starttls(context=relay_tls_context(settings.ca_file))
    except ssl.SSLCertVerificationError as error:
        report.add("starttls", Outcome.FAILED, _certificate_refused(error), str(error))
        return False
    except smtplib.SMTPResponseException as error:
        report.add("starttls", Outcome.FAILED, _("De relay weigert STARTTLS: %(why)s",
                                                 why=_explained(error)),
                   _answer(error))
        return False
    _report_certificate(connection, report, _("STARTTLS: de verbinding is versleuteld"), f"{code} {reply_text(reply)}")
    connection.ehlo()
    return True


def _report_certificate(connection: smtplib.SMTP, report: RelayReport, how: str, answer: str = "") -> None:
    sock: ssl.SSLSocket = connection.sock  # type: ignore[assignment]
    report.add("tls", Outcome.OK, _("%(how)s met %(version)s (%(cipher)s).", how=how, version=sock.version(),
                                    cipher=sock.cipher()[0]), answer)
    certificate = sock.getpeercert() or {}
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(certificate["notAfter"]), UTC)
    days_left = (not_after - utcnow()).days
    subject = _name_part(certificate.get("subject", ()), "commonName")
    issuer = _name_part(certificate.get("issuer", ()), "organizationName") or _name_part(
        certificate.get("issuer", ()), "commonName")
    names = ", ".join(value for kind, value in certificate.get("subjectAltName", ()) if kind in ("DNS", "IP Address"))
    summary = _("Het certificaat van %(subject)s (uitgegeven door %(issuer)s, geldig voor %(names)s) is "
                "vertrouwd en nog %(days)s dagen geldig, tot %(date)s.", subject=subject or "?", issuer=issuer or "?",
                names=names or subject or "?", days=days_left, date=not_after.date().isoformat())
    outcome = Outcome.OK if days_left >= CERTIFICATE_WARNING_DAYS else Outcome.WARNING
    if outcome == Outcome.WARNING:
        summary += " " + _("Het verloopt binnenkort: vraag de beheerder van de relay om een nieuw certificaat.")
    fingerprint = hashlib.sha256(sock.getpeercert(binary_form=True) or b"").hexdigest()
    report.add("certificate", outcome, summary, f"SHA-256 {fingerprint}")


def _certificate_refused(error: ssl.SSLCertVerificationError) -> str:
    why = {
        18: _("het is door de relay zelf ondertekend (self-signed)"),
        19: _("het is ondertekend door een eigen CA die Weerbaar niet kent"),
        20: _("de uitgever is onbekend"),
        10: _("het is verlopen"),
        62: _("het geldt niet voor de naam of het adres in SMTP_HOST"),
    }.get(error.verify_code, error.verify_message)
    return _("Het certificaat van de relay wordt niet vertrouwd: %(why)s. Zet SMTP_CA_FILE op het "
             "CA-certificaat van de relay, of gebruik in SMTP_HOST de naam waarvoor het geldt.", why=why)


def _name_part(name: tuple[tuple[tuple[str, str], ...], ...], key: str) -> str:
    return next((value for rdn in name for kind, value in rdn if kind == key), "")


def _report_extensions(connection: smtplib.SMTP, report: RelayReport) -> None:
    if connection.has_extn("pipelining"):
        report.add("pipelining", Outcome.OK, _("De relay ondersteunt PIPELINING: de worker stuurt de envelop van "
                                               "een bericht in één keer, zonder op elk antwoord te wachten."))
    else:
        report.add("pipelining", Outcome.WARNING, _("De relay ondersteunt geen PIPELINING: elk bericht kost vier "
                                                    "keer wachten op de relay, dus versturen gaat trager."))
    size = connection.esmtp_features.get("size", "").strip()
    if size.isdigit() and int(size) > 0:
        report.add("size", Outcome.OK, _("De relay neemt berichten tot %(megabytes)s MB aan.",
                                         megabytes=f"{int(size) / 1_000_000:.1f}"))


def _log_in(connection: smtplib.SMTP, settings: RelaySettings, report: RelayReport) -> bool:
    offered = connection.esmtp_features.get("auth", "").split()
    if not settings.username:
        if offered:
            summary = _("Geen inloggegevens ingesteld (SMTP_USERNAME). De relay biedt inloggen aan (%(mechanisms)s); "
                        "zonder inloggen moet zij Weerbaar op IP-adres toelaten.", mechanisms=", ".join(offered))
        else:
            summary = _("Geen inloggegevens ingesteld en de relay vraagt er niet om: zij laat Weerbaar toe op "
                        "IP-adres.")
        report.add("auth", Outcome.OK, summary)
        return True
    if not offered:
        report.add("auth", Outcome.FAILED, _("SMTP_USERNAME is ingesteld, maar de relay biedt hier geen inloggen aan "
                                             "(AUTH). Sommige relays bieden het pas na STARTTLS aan."))
        return False
    mechanism = next((name for name in _MECHANISMS if name in (offer.upper() for offer in offered)), None)
    if mechanism is None:
        report.add("auth", Outcome.FAILED, _("Inloggen lukt niet: geen van de aangeboden methoden (%(mechanisms)s) "
                                             "werkt met Weerbaar.", mechanisms=", ".join(offered)))
        return False
    # One mechanism, so that the relay's own answer to it is what the report shows.
    connection.user, connection.password = settings.username, settings.password
    authenticate = getattr(connection, "auth_" + mechanism.lower().replace("-", "_"))
    try:
        code, reply = connection.auth(mechanism, authenticate)
    except smtplib.SMTPAuthenticationError as error:
        report.add("auth", Outcome.FAILED, _("Inloggen als %(user)s is geweigerd: %(why)s", user=settings.username,
                                             why=_explained(error)),
                   _answer(error))
        return False
    report.add("auth", Outcome.OK, _("Ingelogd als %(user)s met %(mechanism)s (de relay biedt %(mechanisms)s aan).",
                                     user=settings.username, mechanism=mechanism, mechanisms=", ".join(offered)),
               f"{code} {reply_text(reply)}")
    return True


def _send_test_message(connection: smtplib.SMTP, settings: RelaySettings, recipient: str | None,
                       report: RelayReport) -> None:
    if not recipient:
        report.add("test_message", Outcome.SKIPPED, _("Geen testbericht verstuurd (geen ontvanger opgegeven)."))
        return
    message = test_message(settings.sender, recipient)
    steps = (("MAIL", lambda: connection.mail(settings.sender), (250,)),
             ("RCPT", lambda: connection.rcpt(recipient), (250, 251)),
             ("DATA", lambda: connection.data(message.as_bytes()), (250,)))
    for command, send, accepted in steps:
        code, reply = send()
        answer = f"{code} {reply_text(reply)}"
        if code not in accepted:
            connection.rset()
            report.add("test_message", Outcome.FAILED, _refusal(command, settings.sender, recipient, code,
                                                                reply_text(reply)), answer)
            return
    report.add("test_message", Outcome.OK, _("Testbericht aan %(to)s is door de relay aangenomen (Message-ID "
                                             "%(id)s). Kijk of het aankomt, ook in de map ongewenste mail.",
                                             to=recipient, id=message["Message-ID"]), answer)


def _refusal(command: str, sender: str, recipient: str, code: int, reply: str) -> str:
    why = explain_reply(code, reply)
    if command == "MAIL":
        return _("De relay weigert de afzender %(sender)s: %(why)s", sender=sender, why=why)
    if command == "RCPT":
        return _("De relay weigert de ontvanger %(to)s: %(why)s", to=recipient, why=why)
    return _("De relay weigert het testbericht: %(why)s", why=why)


def test_message(sender: str, recipient: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = _("Testbericht van Weerbaar")
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_("Dit bericht is verstuurd door de relaycontrole van Weerbaar. De relay heeft het "
                          "aangenomen; als u het leest, komt mail van Weerbaar aan."))
    return message


def _explained(error: smtplib.SMTPResponseException) -> str:
    return explain_reply(error.smtp_code, reply_text(error.smtp_error))


def _answer(error: smtplib.SMTPResponseException) -> str:
    """The relay's refusal as it said it: code and text."""
    return f"{error.smtp_code} {reply_text(error.smtp_error)}"


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


# RFC 3463 enhanced status codes (class.subject.detail): the ones relays give in practice.
_ENHANCED = {
    "1.1": _l("het adres bestaat niet"),
    "1.2": _l("het domein van het adres bestaat niet of ontvangt geen mail"),
    "1.3": _l("het adres is ongeldig"),
    "1.7": _l("het afzenderadres wordt niet geaccepteerd"),
    "1.8": _l("het domein van de afzender wordt niet geaccepteerd"),
    "2.1": _l("de mailbox is uitgeschakeld"),
    "2.2": _l("de mailbox is vol"),
    "3.4": _l("het bericht is te groot"),
    "4.1": _l("de server van de ontvanger antwoordt niet"),
    "4.4": _l("de server van de ontvanger is niet te vinden of niet bereikbaar"),
    "7.0": _l("geweigerd om veiligheidsredenen"),
    "7.1": _l("niet toegestaan: de relay stuurt geen mail door voor deze afzender of vanaf dit adres"),
    "7.8": _l("de inloggegevens zijn onjuist"),
    "7.9": _l("deze manier van inloggen is niet toegestaan"),
    "7.23": _l("de SPF-controle van het afzenderdomein faalt"),
    "7.26": _l("de controle van het afzenderdomein (SPF/DKIM/DMARC) faalt"),
}
# Basic reply codes (RFC 5321 4.2.3), for relays that give no enhanced code.
_BASIC = {
    421: _l("de relay is niet beschikbaar en sluit de verbinding"),
    450: _l("de mailbox is nu niet beschikbaar"),
    451: _l("er ging bij de relay iets mis"),
    452: _l("de relay heeft nu geen ruimte"),
    500: _l("de relay begrijpt de opdracht niet"),
    501: _l("de relay vindt de opdracht onjuist geschreven"),
    502: _l("de relay kent deze opdracht niet"),
    503: _l("de opdrachten kwamen in een onverwachte volgorde"),
    530: _l("de relay vraagt eerst om in te loggen"),
    535: _l("de inloggegevens zijn onjuist"),
    550: _l("geweigerd: de mailbox bestaat niet of het is niet toegestaan"),
    551: _l("de ontvanger is hier niet bekend"),
    552: _l("het bericht is te groot of de opslag is vol"),
    553: _l("het adres is niet toegestaan"),
    554: _l("de relay weigert het bericht"),
}
def explain_reply(code: int, text: str) -> str:
    """An SMTP reply in Dutch words: what it means, and whether trying later can help."""
    match = ENHANCED_STATUS.match(text)
    meaning = None
    if match:
        subject, detail = match.group(2), match.group(3)
        meaning = _ENHANCED.get(f"{subject}.{detail}")
    if meaning is None or (match and match.group(3) == "0" and code in _BASIC):  # x.y.0: the basic code says more
        meaning = _BASIC.get(code, meaning)
    meaning = meaning or _("de relay geeft code %(code)s", code=code)
    if 400 <= code < 500:
        return _("%(meaning)s (tijdelijk: later opnieuw proberen kan helpen)", meaning=meaning)
    if 500 <= code < 600:
        return _("%(meaning)s (blijvend: opnieuw proberen helpt niet)", meaning=meaning)
    return str(meaning)
