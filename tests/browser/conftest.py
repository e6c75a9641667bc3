"""Playwright driving Debian's Chromium (never a downloaded browser) against the live server.

One browser per test session (`browser` in tests/conftest.py, shared with tests/deployed/); each
test gets a fresh context (cookies, viewport). The checks do not depend on the database, so they
run once, on SQLite.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(autouse=True)
def _once_on_sqlite(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("browser checks do not depend on the database: they run on SQLite only")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
