"""Fixtures for the journeys through the deployed stack (marker `deployed`).

One stack per test session (tests/deployed/stack.py); every journey is one person's (or a few people's)
browser contexts in Debian's Chromium over https. After each journey the gunicorn error log must hold no
traceback. Skipped, with the reason, where nginx, Chromium, PostgreSQL or Redis is missing; `.ci/run`
installs nginx and Chromium and has PostgreSQL and Redis.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Page

from app import create_app
from config import normalise_database_url
from extensions import db
from tests.conftest import CHROMIUM
from tests.deployed.stack import (
    DEPLOY,
    NGINX,
    REDIS_DB,
    ROOT,
    MailSink,
    Stack,
    free_port,
    nginx_config,
    production_env,
    recreate_database,
    render_site,
    self_signed_certificate,
    wait_until,
)

# Parallel work on one machine (helpers' worktrees) gives each stack its own database and Redis db.
DATABASE_NAME = os.environ.get("DEPLOYED_DATABASE", "weerbaar_deployed")
ADMIN = "regiobeheer@deployed.example"
ADMIN_PASSWORD = "regio-deployed-wachtwoord"
PASSWORD = "correct horse battery staple"  # tests.factories.PASSWORD


def _missing() -> str | None:
    if not Path(NGINX).exists():
        return f"nginx is not installed ({NGINX}; apt-get install nginx, .ci/run does)"
    if not CHROMIUM.exists():
        return f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    if not os.environ.get("TEST_DATABASE_URL"):
        return "needs PostgreSQL: set TEST_DATABASE_URL"
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        return "needs Redis at 127.0.0.1:6379"
    return None


def _start(stack: Stack, command: list[str], log: Path) -> None:
    with log.open("ab") as output:
        stack.processes.append(subprocess.Popen(command, env=stack.env, cwd=ROOT, stdout=output,
                                                stderr=subprocess.STDOUT))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    reason = _missing()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the deployed journeys: {reason}")
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("deployed")
    database_url = recreate_database(os.environ["TEST_DATABASE_URL"], DATABASE_NAME)
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    sink, smtp_port = MailSink(), free_port()
    relay = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    relay.start()
    https_port, http_port, app_port = free_port(), free_port(), free_port()
    error_log = work / "gunicorn-error.log"
    env = production_env(database_url, f"https://127.0.0.1:{https_port}", smtp_port, error_log)
    env["GUNICORN_BIND"] = f"127.0.0.1:{app_port}"
    certificate, key = self_signed_certificate(work)
    stack = Stack(base_url=env["BASE_URL"], env=env, certificate=certificate, error_log=error_log, mail=sink)

    migrated = stack.flask("db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    refused = stack.flask("demo", "load")
    assert refused.returncode != 0 and "productieconfiguratie" in refused.stderr, refused.stderr
    # The demo region, loaded the only way it may be (development configuration), so that every demo
    # event's exports can be downloaded from the production server (test_demo_exports.py).
    demo = stack.flask("demo", "load", FLASK_CONFIG="development")
    assert demo.returncode == 0, demo.stderr
    site = work / "weerbaar.conf"
    site.write_text(render_site({
        "WEERBAAR_UPSTREAM": f"127.0.0.1:{app_port}", "WEERBAAR_HTTP_LISTEN": f"127.0.0.1:{http_port}",
        "WEERBAAR_HTTPS_LISTEN": f"127.0.0.1:{https_port}", "WEERBAAR_SERVER_NAME": "127.0.0.1",
        "WEERBAAR_TLS_CERTIFICATE": str(certificate), "WEERBAAR_TLS_KEY": str(key),
        "WEERBAAR_STATIC_DIR": str(ROOT / "static")}))
    config = work / "nginx.conf"
    config.write_text(nginx_config(work, site))
    nginx = [NGINX, "-c", str(config), "-p", str(work), "-e", str(work / "error.log")]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    try:
        _start(stack, [str(ROOT / ".venv/bin/gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py")], work / "gunicorn.out")
        _start(stack, [str(ROOT / ".venv/bin/flask"), "mailing", "worker", "--poll-interval", "0.2"],
               work / "worker.log")
        _start(stack, nginx, work / "nginx.out")
        wait_until(lambda: stack.get("/healthz").status_code == 200, "the stack (nginx → gunicorn → PostgreSQL, Redis)")
        yield stack
    finally:
        stack.stop()
        relay.stop()
        if error_log.exists():  # for whoever reads a failed CI run
            (ROOT / "test-artifacts").mkdir(exist_ok=True)
            shutil.copy(error_log, ROOT / "test-artifacts" / "deployed-gunicorn-error.log")


@pytest.fixture(autouse=True)
def no_traceback_in_the_server_log(stack: Stack) -> Iterator[None]:
    before = len(stack.tracebacks())
    yield
    new = stack.tracebacks()[before:]
    assert not new, "the web server logged a traceback:\n" + "\n".join(new)


@dataclass(frozen=True)
class People:
    """The accounts of the region: a regional admin made with `flask accounts create-admin`, the others
    with the test factories (never `flask demo load`: it refuses in production)."""

    admin: str
    organiser: str
    officer: str
    organisation_slug: str
    organisation_name: str


Seed = Callable[[Callable[[], object]], object]


@pytest.fixture(scope="session")
def seed(stack: Stack) -> Iterator[Seed]:
    """`seed(make)` runs `make` with the test factories on the deployed database and returns its plain result."""
    seeding = create_app("testing", {"SQLALCHEMY_DATABASE_URI": normalise_database_url(stack.env["DATABASE_URL"])})

    def run(make: Callable[[], object]) -> object:
        with seeding.app_context():
            try:
                return make()
            finally:
                db.session.remove()

    yield run
    with seeding.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def people(stack: Stack, seed: Seed) -> People:
    created = stack.flask("accounts", "create-admin", "--email", ADMIN, "--name", "Regio Beheer",
                          "--password", ADMIN_PASSWORD)
    assert created.returncode == 0, created.stderr
    from accounts.models import Role
    from tests.factories import make_organisation, make_user

    def make() -> People:
        organisation = make_organisation(name="Gemeente Deployburg", slug="deployburg",
                                         mail_from_address="noreply@deployburg.example",
                                         mail_from_name="Gemeente Deployburg")
        organiser = make_user(organisation, Role.ORGANISER, email="organisator@deployburg.example",
                              name="Olga Organisator")
        officer = make_user(organisation, Role.COMMUNICATIONS, email="communicatie@deployburg.example",
                            name="Cor Communicatie")
        return People(admin=ADMIN, organiser=organiser.email, officer=officer.email,
                      organisation_slug=organisation.slug, organisation_name=organisation.name)

    return seed(make)  # type: ignore[return-value]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed  # type: ignore[attr-defined]
    return report


@pytest.fixture
def new_person(browser: Browser, stack: Stack, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """`new_person()` opens a browser of its own (cookies, downloads) for one person, on the https site."""
    contexts: list[BrowserContext] = []

    def open_page(width: int = 1280, height: int = 900, headers: dict[str, str] | None = None) -> Page:
        context = browser.new_context(base_url=stack.base_url, ignore_https_errors=True, accept_downloads=True,
                                      viewport={"width": width, "height": height}, locale="nl-NL",
                                      extra_http_headers=headers)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for number, context in enumerate(contexts):
        if getattr(request.node, "journey_failed", False):  # what each person saw last, for the failure report
            (ROOT / "test-artifacts").mkdir(exist_ok=True)
            for page in context.pages:
                page.screenshot(path=str(ROOT / "test-artifacts" / f"deployed-{request.node.name}-{number}.png"),
                                full_page=True)
        context.close()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/beheer/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/beheer/inloggen" not in url)


def open_event(page: Page, people: People, title: str) -> None:
    """From the public listing, filtered to our municipality (the demo region lists many more), to the event."""
    page.goto("/")
    page.get_by_label("Organisatie").select_option(label=people.organisation_name)
    page.get_by_role("button", name="Filteren").click()
    page.get_by_role("link", name=title, exact=True).click()
