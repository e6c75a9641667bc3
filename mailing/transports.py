"""Ways out for a built message, chosen by `MAIL_TRANSPORT`: a real SMTP relay or the outbox itself."""
from __future__ import annotations

import re
import select
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mailing.addresses import ascii_address

OUTBOX_RESPONSE = "250 kept in the outbox (development mail catcher)"
# RFC 3463 enhanced status code at the start of a reply: class, subject, detail.
ENHANCED_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    data: bytes


class DeliveryError(Exception):
    """The relay did not take the message; `permanent` says whether trying again can help."""

    def __init__(self, code: int | None, reply: str, *, permanent: bool) -> None:
        self.code = code
        self.reply = reply
        self.permanent = permanent
        super().__init__(f"{code} {reply}" if code else reply)

    @property
    def hard_bounce(self) -> bool:
        """5.1.x: the address itself is bad (RFC 3463), not the message or the moment."""
        match = ENHANCED_STATUS.match(self.reply)
        return self.permanent and match is not None and match.group(1) == "5" and match.group(2) == "1"


def reply_text(reply: bytes | str) -> str:
    """An SMTP reply's text on one line (a multi-line reply's lines joined by spaces)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _reply_error(code: int, reply: bytes | str) -> DeliveryError:
    return DeliveryError(code, reply_text(reply), permanent=500 <= code < 600)


Addresses = tuple[str, str]  # (sender, recipient)


class Transport(Protocol):
    def send(self, envelope: Envelope, following: Addresses | None = None) -> str:
        """Delivers one message; returns the relay's reply, raises DeliveryError. `following` names
        the message that will be sent next, if known, so that its envelope can travel with this one."""

    def close(self) -> None: ...


class OutboxTransport:
    """Development: the message stays in the outbox, where the admin mail catcher shows it."""

    def send(self, envelope: Envelope, following: Addresses | None = None) -> str:
        return OUTBOX_RESPONSE

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class _OpenedEnvelope:
    """The next message's MAIL, RCPT and DATA, sent behind the previous message and answered."""

    addresses: Addresses
    replies: list[tuple[int, bytes]]

    @property
    def awaiting_data(self) -> bool:
        return self.replies[-1][0] == 354


class SmtpTransport:
    """One connection to the relay, reused for every message and reopened when it drops.

    With PIPELINING (RFC 2920) the envelope goes in one write, and the envelope of the following
    message travels right behind this message's content: one round trip per message instead of
    four, which is what a busy worker waits on. Only content ends a transaction; an envelope opened
    for a message that is then not sent is abandoned by dropping the connection (never by an empty
    message: anything written after DATA's 354 would become the content)."""

    def __init__(self, host: str, port: int, *, security: str = "none", username: str = "",
                 password: str = "", timeout: float = 30.0, ca_file: str = "") -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"SMTP_SECURITY must be none, starttls or ssl, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self.ca_file = ca_file
        self._connection: smtplib.SMTP | None = None
        self._opened: _OpenedEnvelope | None = None

    def send(self, envelope: Envelope, following: Addresses | None = None) -> str:
        reused = self._connection is not None
        try:
            return self._transfer(envelope, following)
        except _StaleConnection:
            if not reused:
                raise DeliveryError(None, "the relay closed the connection", permanent=False) from None
            # The relay dropped an idle connection before it saw anything of this message.
            return self._transfer(envelope, following)

    def _transfer(self, envelope: Envelope, following: Addresses | None) -> str:
        opened_replies = self._take_opened((envelope.sender, envelope.recipient))
        connection = self._connected()
        try:
            replies = opened_replies or self._send_envelope(connection, envelope)
            self._accept_envelope(connection, replies)
            next_commands = self._commands_to_open(connection, following)
            code, reply = self._data(connection, envelope.data, next_commands)
            if following and next_commands:
                self._read_opened(connection, following, next_commands, code)
            self._expect(code, reply, (250,))
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise DeliveryError(None, f"{type(error).__name__}: {error}", permanent=False) from error
        return f"{code} {reply.decode('utf-8', 'replace')}"

    def _take_opened(self, addresses: Addresses) -> list[tuple[int, bytes]] | None:
        """The replies to this message's envelope if it was opened ahead; an envelope opened for
        another message (the worker stopped or could not build it) is abandoned."""
        opened, self._opened = self._opened, None
        if opened is None:
            return None
        if opened.addresses == addresses and not self._relay_spoke():
            return opened.replies
        self._drop()
        return None

    def _relay_spoke(self) -> bool:
        """Whether the relay sent something unasked (it hung up, or announced it will): then the
        opened transaction is not to be trusted with the content."""
        if self._connection is None:
            return True
        readable, _writable, _failed = select.select([self._connection.sock], [], [], 0)
        return bool(readable)

    def _send_envelope(self, connection: smtplib.SMTP, envelope: Envelope) -> list[tuple[int, bytes]]:
        commands = _envelope_commands((envelope.sender, envelope.recipient))
        in_first_write = len(commands) if connection.has_extn("pipelining") else 1
        try:
            connection.send(b"".join(commands[:in_first_write]))
            first_reply = connection.getreply()
        except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
            self.close()
            raise _StaleConnection() from error
        return self._envelope_replies(connection, commands, in_first_write, first_reply)

    @staticmethod
    def _commands_to_open(connection: smtplib.SMTP, following: Addresses | None) -> list[bytes]:
        if following is None or not connection.has_extn("pipelining"):
            return []
        try:
            return _envelope_commands(following)
        except ValueError:  # refused when its own turn comes
            return []

    def _read_opened(self, connection: smtplib.SMTP, following: Addresses, commands: list[bytes],
                     data_code: int) -> None:
        """Reads the replies to the envelope sent behind the content. After a refused content, or
        when the relay hangs up after taking it, the next message simply opens a new connection."""
        if data_code != 250:
            self._drop()
            return
        try:
            replies = self._envelope_replies(connection, commands, len(commands), connection.getreply())
        except (smtplib.SMTPException, OSError):
            self._drop()
            return
        self._opened = _OpenedEnvelope(following, replies)

    @staticmethod
    def _envelope_replies(connection: smtplib.SMTP, commands: list[bytes], in_first_write: int,
                          first_reply: tuple[int, bytes]) -> list[tuple[int, bytes]]:
        """One reply per command, up to the first refusal when not pipelined (the rest is not sent)
        or up to a 421 (the relay hangs up and answers nothing more)."""
        replies = [first_reply]
        for index in range(1, len(commands)):
            code = replies[-1][0]
            if code == 421 or (index >= in_first_write and code not in _ACCEPTED[index - 1]):
                break
            if index >= in_first_write:
                connection.send(commands[index])
            replies.append(connection.getreply())
        return replies

    def _accept_envelope(self, connection: smtplib.SMTP, replies: list[tuple[int, bytes]]) -> None:
        """Raises the first refusal. A relay that said 354 to a pipelined DATA after refusing the
        envelope gets an empty message, which it cannot deliver for lack of a recipient."""
        refusals = ((code, reply) for (code, reply), accepted in zip(replies, _ACCEPTED, strict=False)
                    if code not in accepted)
        refusal = next(refusals, None)
        if refusal is None:  # every reply read and accepted: the replies stop only at a refusal
            return
        if replies[-1][0] == 354:
            connection.send(b".\r\n")
            connection.getreply()
        code, reply = refusal
        self._after_refusal(code)
        raise _reply_error(code, reply)

    @staticmethod
    def _data(connection: smtplib.SMTP, data: bytes, next_commands: list[bytes]) -> tuple[int, bytes]:
        """The message after DATA's 354, as `smtplib.SMTP.data()` sends it, with the dot-stuffing
        done by bytes.replace instead of a regular expression, which took as long as building the
        whole message; `next_commands` go in the same write."""
        stuffed = (b"." if data.startswith(b".") else b"") + (
            data.replace(b"\r\n.", b"\r\n..") if b"\r\n." in data else data)  # a search costs a fifth of a copy
        line_end = b"" if stuffed.endswith(b"\r\n") else b"\r\n"
        connection.send(b"".join((stuffed, line_end, b".\r\n", *next_commands)))
        return connection.getreply()

    def _expect(self, code: int, reply: bytes, accepted: tuple[int, ...]) -> None:
        if code not in accepted:
            self._after_refusal(code)
            raise _reply_error(code, reply)

    def _after_refusal(self, code: int) -> None:
        """421 (or no usable reply) means the relay is closing; otherwise reset for the next message."""
        if code == 421 or code < 0:
            self.close()
            return
        if self._connection is None:
            return
        try:
            self._connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def _connected(self) -> smtplib.SMTP:
        if self._connection is None:
            try:
                self._connection = self._open()
            except (smtplib.SMTPException, OSError) as error:
                raise DeliveryError(None, f"cannot reach {self.host}:{self.port}: {error}", permanent=False) from error
        return self._connection

    def _open(self) -> smtplib.SMTP:
        context = relay_tls_context(self.ca_file)
        if self.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        # Not while an opened envelope awaits its content: a QUIT would be taken as that content.
        if self._connection is not None and not (self._opened and self._opened.awaiting_data):
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass  # _drop closes it
        self._drop()

    def _drop(self) -> None:
        """Closes the connection without a word: the relay discards an unfinished transaction."""
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._opened = None


_ACCEPTED = ((250,), (250, 251), (354,))  # the replies that let MAIL, RCPT and DATA go on


def _envelope_commands(addresses: Addresses) -> list[bytes]:
    """MAIL, RCPT and DATA for bare addresses (the outbox stores no display names in them). An
    address that is not ASCII or could end or extend the command is refused with a ValueError:
    the message is invalid, not the relay."""
    sender, recipient = (ascii_address(address) for address in addresses)
    for address in (sender, recipient):
        if not address.isascii() or any(character in address for character in "<>\r\n \t"):
            raise ValueError(f"not a bare address: {address!r}")
    lines = (f"MAIL FROM:<{sender}>", f"RCPT TO:<{recipient}>", "DATA")
    return [f"{line}\r\n".encode("ascii") for line in lines]


def relay_tls_context(ca_file: str = "") -> ssl.SSLContext:
    """The relay's certificate is checked against the system CAs, or against SMTP_CA_FILE only."""
    return ssl.create_default_context(cafile=ca_file or None)


class _StaleConnection(Exception):
    """The reused connection was gone before the message started."""


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    if config["MAIL_TRANSPORT"] == "outbox":
        return OutboxTransport()
    if config["MAIL_TRANSPORT"] == "smtp":
        return SmtpTransport(
            config["SMTP_HOST"], config["SMTP_PORT"], security=config["SMTP_SECURITY"],
            username=config["SMTP_USERNAME"], password=config["SMTP_PASSWORD"], timeout=config["SMTP_TIMEOUT"],
            ca_file=config["SMTP_CA_FILE"],
        )
    raise ValueError(f"MAIL_TRANSPORT must be outbox or smtp, not {config['MAIL_TRANSPORT']!r}")
