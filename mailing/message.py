"""RFC 5322/2045 messages from outbox rows, assembled as bytes.

The standard library's `EmailMessage` needs about 1.4 ms for a 28 KB two-part message, which
alone would cap a worker far below what the relay takes. The header lines that a campaign shares
(From, Reply-To, Subject, the part headers) are encoded once and cached; per recipient only To,
Date, Message-ID, the extra headers and the two quoted-printable bodies are produced.
"""
from __future__ import annotations

import base64
import binascii
import re
import secrets
from datetime import datetime
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr
from functools import lru_cache

from core.timeutils import utcnow
from mailing.addresses import ascii_address
from mailing.models import OutgoingAttachment, OutgoingMessage
from mailing.outbox import HeaderInjectionError
from mailing.personalise import RenderedMail

CRLF = b"\r\n"
MAX_LINE = 998  # RFC 5322 2.1.1: hard limit per line, without CRLF

Part = tuple[bytes, bytes]  # (header lines, body)
_NON_ASCII_RAW_TEXT = re.compile(r"<(style|script)\b[^>]*>[^<]*[^\x00-\x7f]", re.IGNORECASE)


@lru_cache(maxsize=4096)
def header_line(name: str, value: str) -> bytes:
    """`Name: value` folded to RFC 5322 lines; non-ASCII as RFC 2047 words. Refuses CR/LF."""
    if "\r" in value or "\n" in value:
        raise HeaderInjectionError(f"header {name!r} contains a line break")
    if value.isascii() and (len(name) + 2 + len(value) <= 78 or _one_word(name, value)):
        return f"{name}: {value}".encode("ascii") + CRLF
    charset = "us-ascii" if value.isascii() else "utf-8"
    folded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    line = f"{name}: {folded}".encode("ascii") + CRLF
    if any(len(piece) > MAX_LINE for piece in line.split(CRLF)):
        raise HeaderInjectionError(f"header {name!r} is too long")
    return line


def _one_word(name: str, value: str) -> bool:
    """A long ASCII value with nowhere to fold (no space, `;` or `,`), as a per-recipient
    List-Unsubscribe is: `Header` would only move it to a continuation line of its own, which
    means the same and cost a third of building the message; one line within the hard limit."""
    return (len(name) + 2 + len(value) <= MAX_LINE and value.isprintable()
            and " " not in value and ";" not in value and "," not in value)


@lru_cache(maxsize=4096)
def address(name: str | None, email_address: str) -> str:
    if "\r" in email_address or "\n" in email_address:
        raise HeaderInjectionError("address contains a line break")
    email_address = ascii_address(email_address)
    return formataddr((name, email_address), charset="utf-8") if name else email_address


def row_message_id(message: OutgoingMessage) -> str:
    """The Message-ID of a row stored without one (before every row got one when queued): made
    from the row itself, so the same on every try, also after a worker died mid-send."""
    domain = message.from_address.rpartition("@")[2] or "weerbaar.localhost"
    created = int(message.created_at.timestamp()) if message.created_at else 0
    return f"<{created}.row{message.id}@{domain}>"


def build_message(message: OutgoingMessage, now: datetime | None = None, bodies: RenderedMail | None = None) -> bytes:
    """The whole message, ready for SMTP DATA (CRLF line ends); `bodies` instead of the row's own."""
    html, text = (bodies.html, bodies.text) if bodies else (message.html_body, message.text_body)
    content_headers, body = _body(message, html, text)
    headers = b"".join((
        header_line("From", address(message.from_name, message.from_address)),
        header_line("To", address(message.to_name, message.to_address)),
        header_line("Reply-To", message.reply_to) if message.reply_to else b"",
        header_line("Subject", message.subject),
        header_line("Date", format_datetime(now or utcnow())),
        header_line("Message-ID", message.message_id or row_message_id(message)),
        *(header_line(name, str(value)) for name, value in (message.headers or {}).items()),
        b"MIME-Version: 1.0\r\n",
        content_headers,
    ))
    return headers + CRLF + body


def _body(message: OutgoingMessage, html_body: str | None, text_body: str) -> Part:
    text = _text_part("plain", text_body)
    inline = [a for a in message.attachments if a.content_id]
    files = [a for a in message.attachments if not a.content_id]
    readable = text
    if html_body is not None:
        html = _html_part(html_body)
        if inline:
            html = _multipart("related", [html, *(_attachment_part(a) for a in inline)])
        readable = _multipart("alternative", [text, html])
    if files:
        return _multipart("mixed", [readable, *(_attachment_part(a) for a in files)])
    return readable


@lru_cache(maxsize=16)
def _text_headers(subtype: str, encoding: str) -> bytes:
    return f"Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n".encode("ascii")


def _text_part(subtype: str, text: str) -> Part:
    # Encoded with bare LF line ends, so that b2a_qp's soft breaks are LF too; then all become CRLF.
    return _text_headers(subtype, "quoted-printable"), _crlf(binascii.b2a_qp(_lf(text.encode("utf-8")), istext=True))


def _html_part(html: str) -> Part:
    """HTML as ASCII with character references (`&#233;`): then it needs no transfer encoding at
    all, which saves most of the build time of a large mail. Quoted-printable for over-long lines
    and for non-ASCII in <style>/<script>, where character references mean nothing."""
    if not html.isascii() and _NON_ASCII_RAW_TEXT.search(html):
        return _text_part("html", html)
    data = html.encode("ascii", "xmlcharrefreplace")
    if _lines_fit(data):
        return _text_headers("html", "7bit"), _crlf(data)
    return _text_part("html", html)


def _lines_fit(data: bytes) -> bool:
    """Whether every line is shorter than MAX_LINE. Jumps from the last line break within reach to
    the next (a few steps for 70 KB), where splitting into lines took a third of the build."""
    start = 0
    while len(data) - start >= MAX_LINE:
        last_break = data.rfind(b"\n", start, start + MAX_LINE)
        if last_break < 0:
            return False
        start = last_break + 1
    return True


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data


def _crlf(data: bytes) -> bytes:
    return _lf(data).replace(b"\n", CRLF)


def _attachment_part(attachment: OutgoingAttachment) -> Part:
    disposition = "inline" if attachment.content_id else "attachment"
    lines = [
        header_line("Content-Type", f"{attachment.content_type}; {_filename_parameter('name', attachment.filename)}"),
        header_line("Content-Disposition", f"{disposition}; {_filename_parameter('filename', attachment.filename)}"),
        b"Content-Transfer-Encoding: base64\r\n",
    ]
    if attachment.content_id:
        lines.append(header_line("Content-ID", f"<{attachment.content_id}>"))
    return b"".join(lines), base64.encodebytes(attachment.data).replace(b"\n", CRLF)


def _filename_parameter(parameter: str, filename: str) -> str:
    if filename.isascii():
        escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'{parameter}="{escaped}"'
    return f"{parameter}*={encode_rfc2231(filename, 'utf-8')}"


def _multipart(subtype: str, parts: list[Part]) -> Part:
    # Encoded bodies never contain "=_"; a 7bit HTML body would need to guess 96 random bits.
    boundary = f"=_{secrets.token_hex(12)}".encode("ascii")
    delimiter = b"--" + boundary + CRLF
    body = b"".join(delimiter + headers + CRLF + content + (b"" if content.endswith(CRLF) else CRLF)
                    for headers, content in parts)
    headers = b'Content-Type: multipart/' + subtype.encode("ascii") + b'; boundary="' + boundary + b'"\r\n'
    return headers, body + b"--" + boundary + b"--" + CRLF
