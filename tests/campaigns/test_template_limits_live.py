"""The template limits hold inside one filter call, against gunicorn: each payload from the live
preview gets a Dutch error naming the limit, and the web worker's peak memory barely moves."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from accounts.models import Role
from tests.factories import PASSWORD, make_campaign, make_organisation, make_user
from tests.mailing.conftest import free_port
from tests.mailing.test_rendering import LIMIT_ERRORS, ONE_CALL_BOMBS

ROOT = Path(__file__).resolve().parents[2]
ISSUE_PAYLOADS = ["center", "indent", "format-width", "batch-fill", "slice", "slice-more"]
MAX_GROWTH_KB = 50 * 1024


def _peak_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@pytest.fixture
def gunicorn(database_url: str) -> Iterator[tuple[str, int]]:
    """gunicorn with one sync worker on the test database; (its address, the master's pid)."""
    port = free_port()
    environment = os.environ | {"FLASK_CONFIG": "development", "DATABASE_URL": database_url,
                                "SECRET_KEY": "live-limits-test", "CONTACT_IMPORT_THREAD": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--timeout", "60", "--bind", f"127.0.0.1:{port}",
         "app:create_app()"], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{url}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(10)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


# The preview's sample values have no date: the payloads on `when` are proven in-process only.
OTHER_PAYLOADS = [name for name, body in ONE_CALL_BOMBS.items() if name not in ISSUE_PAYLOADS and "when" not in body]


@pytest.mark.parametrize("payloads", [ISSUE_PAYLOADS, OTHER_PAYLOADS],
                         ids=["the-issue", "all-others"])
def test_live_preview_refuses_each_payload_and_the_worker_stays_small(
        app: Flask, gunicorn: tuple[str, int], payloads: list[str]) -> None:
    url, master = gunicorn
    organisation = make_organisation()
    officer = make_user(organisation, Role.COMMUNICATIONS)
    campaign = make_campaign(organisation)
    session = requests.Session()
    login_page = session.get(f"{url}/beheer/inloggen", timeout=10).text
    answer = session.post(f"{url}/beheer/inloggen", timeout=10, allow_redirects=False,
                          data={"email": officer.email, "password": PASSWORD, "csrf_token": _csrf(login_page)})
    assert answer.status_code == 302
    editor = session.get(f"{url}/beheer/campagnes/{campaign.id}/bewerken", timeout=10).text
    preview_url, token = f"{url}/beheer/campagnes/{campaign.id}/voorbeeld", _csrf(editor)
    good = session.post(preview_url, data={"mjml_source": campaign.mjml_source, "csrf_token": token}, timeout=10)
    assert good.status_code == 200 and good.json()["ok"]
    worker = _worker_pid(master)
    before = _peak_kb(worker)
    for name in payloads:
        source = campaign.mjml_source.replace("<p>Beste", f"<p>{ONE_CALL_BOMBS[name]} Beste", 1)
        refused = session.post(preview_url, data={"mjml_source": source, "csrf_token": token}, timeout=30)
        assert refused.status_code == 400, name
        error = refused.json()["error"]
        assert any(phrase in error for phrase in LIMIT_ERRORS), (name, error)
    assert _peak_kb(worker) - before < MAX_GROWTH_KB

