"""The production stack on loopback, as deploy/ describes it: nginx (the shipped site file, TLS with a
certificate made here) → gunicorn (the shipped config, production settings) → PostgreSQL and Redis, and a
mail worker sending over SMTP to a sink that keeps what it received."""
from __future__ import annotations

import email
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_DB = int(os.environ.get("DEPLOYED_REDIS_DB", "13"))  # its own database on the shared Redis, emptied at the start
SITE_PLACEHOLDERS = ["WEERBAAR_UPSTREAM", "WEERBAAR_HTTP_LISTEN", "WEERBAAR_HTTPS_LISTEN", "WEERBAAR_SERVER_NAME",
                     "WEERBAAR_TLS_CERTIFICATE", "WEERBAAR_TLS_KEY", "WEERBAAR_STATIC_DIR"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_database(url: str, name: str) -> str:
    """A fresh database `name` on the server of `url`; returns its URL."""
    parsed = urlparse(url)
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return parsed._replace(path=f"/{name}").geturl()


def render_site(values: dict[str, str]) -> str:
    """deploy/nginx-weerbaar.conf with its placeholders filled in, as envsubst does in the README."""
    site = (DEPLOY / "nginx-weerbaar.conf").read_text()
    for name in SITE_PLACEHOLDERS:
        assert "${" + name + "}" in site, f"the site file lost its placeholder {name}"
        site = site.replace("${" + name + "}", values[name])
    leftover = re.findall(r"\$\{WEERBAAR_[A-Z_]+\}", site)
    assert not leftover, f"placeholders the test does not know: {leftover}"
    return site


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    return certificate, key


def nginx_config(prefix: Path, site: Path) -> str:
    """The main nginx.conf around the shipped site file: foreground, everything under `prefix`."""
    temp = prefix / "temp"
    temp.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the static files of this checkout
    return f"""{user}daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""


@dataclass
class Mail:
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""

    def links(self, base_url: str) -> list[str]:
        return re.findall(re.escape(base_url) + r"[^\s\"'<>)\]]+", self.text() + "\n" + self.html())

    def link(self, base_url: str, containing: str) -> str:
        found = [link for link in self.links(base_url) if containing in link]
        assert found, f"no link with {containing!r} in the mail {self.subject!r}: {self.links(base_url)}"
        return found[0]

    def attachment(self, content_type: str) -> bytes:
        for part in self.message.iter_attachments():
            if part.get_content_type() == content_type:
                return part.get_payload(decode=True)
        raise AssertionError(f"no {content_type} attachment in {self.subject!r}")


class MailSink:
    """aiosmtpd handler: keeps every delivered message, in order."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._changed:
            self.mails.append(Mail(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            self._changed.notify_all()
        return "250 2.0.0 OK"

    def wait_for(self, to: str, subject: str = "", timeout: float = 30, after: int = 0) -> Mail:
        """The first mail (from index `after`) to `to` whose subject contains `subject`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for mail in self.mails[after:]:
                    if to in mail.recipients and subject in mail.subject:
                        return mail
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(mail.recipients, mail.subject) for mail in self.mails]
                    raise AssertionError(f"no mail to {to} with {subject!r} within {timeout} s; received: {seen}")
                self._changed.wait(left)

    def to(self, address: str) -> list[Mail]:
        with self._changed:
            return [mail for mail in self.mails if address in mail.recipients]


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    certificate: Path
    error_log: Path
    mail: MailSink
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def flask(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """A `flask` command on the deployed database, in production configuration unless `settings` say else."""
        return subprocess.run([str(ROOT / ".venv/bin/flask"), *args], env=self.env | settings, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)

    def get(self, path: str, **options: Any) -> requests.Response:
        return requests.get(self.base_url + path, verify=str(self.certificate), timeout=10, **options)

    def tracebacks(self) -> list[str]:
        log = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
        return [chunk[:2000] for chunk in log.split("Traceback (most recent call last)")[1:]]

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up within {timeout} s")


def production_env(database_url: str, base_url: str, smtp_port: int, error_log: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "FLASK_APP": "app:create_app",
        "FLASK_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "BASE_URL": base_url,
        "TRUSTED_PROXY_COUNT": "1",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{REDIS_DB}",
        # Every journey logs in from 127.0.0.1, a dozen times within a minute; in production each person
        # has an address of their own and the default (10 a minute per address) stands. The limits
        # themselves, shared through Redis, are proven in tests/test_rate_limits.py.
        "LOGIN_RATE_LIMIT": "60 per minute",
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_SECURITY": "none",
        "SMTP_TIMEOUT": "10",
        "MAIL_DEFAULT_SENDER": "noreply@weerbaar.example",
        "GUNICORN_ERROR_LOG": str(error_log),
        "GUNICORN_ACCESS_LOG": str(error_log.with_name("gunicorn-access.log")),
        # The import thread would outlive a request; the deployed journeys leave imports to the tick.
        "CONTACT_IMPORT_THREAD": "0",
    }
