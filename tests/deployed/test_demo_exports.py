"""Every event's attendance exports, the demo region's included, download and parse from the production server
(the CSV export answered 500 on every event under gunicorn before)."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page

from demo import DEMO_PASSWORD, REGIONAL_ADMIN
from tests.deployed.conftest import Seed, log_in
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed


def _events(seed: Seed) -> list[tuple[int, int]]:
    """(event id, registrations) of every event in the database."""

    def read() -> list[tuple[int, int]]:
        import sqlalchemy as sa

        from events.models import Event, Registration
        from extensions import db

        query = (sa.select(Event.id, sa.func.count(Registration.id)).outerjoin(Registration)
                 .group_by(Event.id).order_by(Event.id))
        return [(event_id, count) for event_id, count in db.session.execute(query)]

    return seed(read)  # type: ignore[return-value]


def test_every_event_exports_as_csv_and_xlsx_under_gunicorn(
        stack: Stack, seed: Seed, new_person: Callable[..., Page]) -> None:
    events = _events(seed)
    assert len(events) >= 20 and sum(count for _event, count in events) > 100  # the demo region is there
    page = new_person()
    log_in(page, REGIONAL_ADMIN[0], DEMO_PASSWORD)
    for event_id, registrations in events:
        answer = page.request.get(f"/beheer/evenementen/{event_id}/aanmeldingen.csv")
        assert answer.status == 200, (event_id, answer.status)
        body = answer.body()
        assert body.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:2] == ["Naam", "E-mailadres"] and len(rows) == registrations + 1, event_id

        answer = page.request.get(f"/beheer/evenementen/{event_id}/aanmeldingen.xlsx")
        assert answer.status == 200, (event_id, answer.status)
        sheet = load_workbook(io.BytesIO(answer.body()), read_only=True).active
        xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert xlsx_rows[0] == rows[0] and len(xlsx_rows) == registrations + 1, event_id
