"""A real SMTP relay on loopback (aiosmtpd) that records what it received and can be told to refuse."""
from __future__ import annotations

import asyncio
import email
import os
import socket
import struct
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingRelay:
    """The aiosmtpd handler. `refuse(address, *replies)` scripts the next answers for a recipient:
    an SMTP reply such as "450 4.2.1 Try later" (at RCPT), "421 ..." (at DATA, then it hangs up),
    "reset" (at DATA: the connection is reset without a reply) or "hangup" (accepts the message,
    then closes the connection, as a relay does with idle clients)."""

    def __init__(self, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.deliveries: list[tuple[str, bytes]] = []  # (recipient, message), parsed on demand
        self.senders: list[str] = []  # the envelope sender (MAIL FROM) of each delivery
        self.scripts: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def refuse(self, address: str, *replies: str) -> None:
        self.scripts.setdefault(address, []).extend(replies)

    def _next_reply(self, address: str, stage: str) -> str | None:
        with self.lock:
            script = self.scripts.get(address)
            if not script:
                return None
            at_data = script[0] in ("reset", "hangup") or script[0].startswith("421")
            if (stage == "DATA") != at_data:
                return None
            return script.pop(0)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        """Offers PIPELINING (RFC 2920) as Postfix does, unless told not to."""
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING"] + responses[-1:] if self.pipelining else responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list) -> str:
        reply = self._next_reply(address, "RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self._next_reply(envelope.rcpt_tos[0], "DATA")
        if reply == "reset":
            sock = server.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            server.transport.abort()
            return "451 never seen"
        if reply:
            asyncio.get_running_loop().call_soon(server.transport.close)  # after the reply is written
            if reply != "hangup":
                return reply
        with self.lock:
            self.deliveries.append((envelope.rcpt_tos[0], envelope.content))
            self.senders.append(envelope.mail_from)
        return "250 2.0.0 Ok: queued"

    def count_by_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(recipient for recipient, _ in self.deliveries)


class Relay:
    def __init__(self, *, pipelining: bool = True, **options: Any) -> None:
        self.handler = RecordingRelay(pipelining)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     server_hostname="relay.test", **options)

    @property
    def received(self) -> list[EmailMessage]:
        with self.handler.lock:
            deliveries = list(self.handler.deliveries)
        return [email.message_from_bytes(content, policy=default_policy) for _, content in deliveries]

    def count(self) -> int:
        return len(self.handler.deliveries)

    def refuse(self, address: str, *replies: str) -> None:
        self.handler.refuse(address, *replies)


@pytest.fixture
def relay(request: pytest.FixtureRequest) -> Iterator[Relay]:
    """Offers PIPELINING; `@pytest.mark.parametrize("relay", [False], indirect=True)` turns it off."""
    server = Relay(pipelining=getattr(request, "param", True))
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture(scope="session")
def relay_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate, key)."""
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = folder / "relay.pem", folder / "relay.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )
    return certificate, key


@pytest.fixture
def smtp_app(app: Flask, relay: Relay) -> Flask:
    """The test app sending through the loopback relay, retries due after a short wait."""
    app.config.update(MAIL_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=relay.port, SMTP_TIMEOUT=5.0)
    return app


def worker_process(database_url: str, smtp_port: int, *arguments: str, **settings: str) -> subprocess.Popen:
    """`flask mailing worker` as its own process, configured through the environment like in production."""
    environment = os.environ | {
        "FLASK_APP": "app:create_app",
        "FLASK_CONFIG": "development",
        "DATABASE_URL": database_url,
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
    } | settings
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "mailing", "worker", *arguments],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
