"""Fixtures: the app on SQLite, and also on PostgreSQL when TEST_DATABASE_URL is set.

Every test that uses `app` runs once per backend (ids `[sqlite]` / `[postgresql]`). Tables are
created once per backend and emptied after each test, so live-server tests (whose requests
commit in other threads) see the same clean database as test-client tests.
"""
from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from ipaddress import ip_address
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from flask.testing import FlaskClient
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from config import normalise_database_url
from extensions import db, limiter

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session", autouse=True)
def refuse_outside_network() -> Iterator[None]:
    """No test reaches beyond loopback: SMTP, HTTP and database connections alike."""
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: object) -> object:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else str(address)
            if not _is_loopback(host):
                raise ConnectionRefusedError(f"tests may only connect to loopback, not {host}")
        return real_connect(sock, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        # A file, not :memory:, so that a live server's threads share one database.
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return normalise_database_url(os.environ["TEST_DATABASE_URL"])


@pytest.fixture(scope="session")
def schema(database_url: str) -> Iterator[None]:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _only_on_postgresql(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres_only") is None:
        return
    if "postgresql" not in BACKENDS:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    if request.getfixturevalue("database_url").startswith("sqlite"):
        pytest.skip("PostgreSQL only")


@pytest.fixture
def app(database_url: str, schema: None) -> Iterator[Flask]:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    app.teardown_request(_forget_user)
    with app.app_context(), refusing_writes_in_get_requests() as writes:
        yield app
        db.session.rollback()
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    assert writes == [], "a GET request wrote to the database (a GET never writes)"


# A GET never writes: an INSERT, UPDATE or DELETE while a view answers a GET (or HEAD) fails the test
# that sent it, in every test of the suite. Allowed: the audit log of who looked at personal data, and
# a tracked link from a mail, whose click is counted on the GET that follows it; a self-help page, whose
# reading is counted (one number per page per day).
WRITING_GET_ENDPOINTS = {"newsletter.click", "selfhelp.page"}
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_AUDIT_INSERT = re.compile(r"\s*INSERT INTO audit_entries\b", re.IGNORECASE)


@contextmanager
def refusing_writes_in_get_requests() -> Iterator[list[str]]:
    """Collects (in the list it yields) every write sent while a view answers a GET or HEAD."""
    writes: list[str] = []

    def check(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        if not has_request_context() or request.method not in ("GET", "HEAD") or request.endpoint is None:
            return
        if request.endpoint in WRITING_GET_ENDPOINTS or not _WRITE.match(statement) or _AUDIT_INSERT.match(statement):
            return
        writes.append(f"{request.method} {request.path} ({request.endpoint}): {' '.join(statement.split()[:6])}")

    sa.event.listen(db.engine, "before_cursor_execute", check)
    try:
        yield writes
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", check)


def _forget_user(_error: BaseException | None) -> None:
    """Requests run inside the test's app context and share its `g`, where Flask-Login caches the
    signed-in user: without this, a second client in the same test would act as the first one's user."""
    g.pop("_login_user", None)


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture
def app_with(app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """`app_with(RATELIMIT_ENABLED=True)`: a second app on the same database with other settings.

    `app_with("production", ...)` builds the production configuration (with a stand-in secret).
    Settings read once by an extension (the rate limiter) need their own app, not `app.config`.
    """
    built: list[Flask] = []

    def build(config_name: str = "testing", **overrides: object) -> Flask:
        if config_name == "production":
            monkeypatch.setenv("SECRET_KEY", "production-test-secret")
            monkeypatch.setenv("DATABASE_URL", database_url)
        other = create_app(config_name, {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        built.append(other)
        return other

    yield build
    for other in built:
        with other.app_context():
            db.engine.dispose()
    # One Limiter object serves every app of this process: forget a storage an app found unreachable.
    limiter._storage_dead = False


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, one for the whole session: Playwright's sync API runs one instance
    per thread, so the browser tests and the deployed journeys share it."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def backend(app: Flask) -> str:
    return db.engine.dialect.name


QueryCounter = Callable[[], AbstractContextManager[list[str]]]


@pytest.fixture
def count_queries(app: Flask) -> QueryCounter:
    """`with count_queries() as statements:` collects every SQL statement sent inside the block."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)

    return counting


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app served over real HTTP on loopback, each request in its own thread."""
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
