"""The exports as a deployed server runs them: the request's session is committed and gone before the
streamed body is written (the reason the CSV export failed with DetachedInstanceError on every event)."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask, Response
from flask.testing import FlaskClient
from openpyxl import load_workbook

from accounts.models import Role
from core.audit import AuditEntry
from events.models import Event, QuestionKind
from events.services import export
from extensions import db
from tests.factories import login, make_event, make_organisation, make_question, make_registration, make_user


@pytest.fixture
def deployed(app_with: Callable[..., Flask]) -> Flask:
    """A second app: its requests push their own app context (and session), as under gunicorn; the test's
    context of the first app is not theirs."""
    return app_with()


@pytest.fixture
def event() -> Event:
    event = make_event(make_organisation(), title="Veilig online", slug="veilig-online")
    question = make_question(event, label="Hoe kwam u hier?", kind=QuestionKind.SHORT_TEXT)
    make_registration(event, name="Anna", answers={str(question.id): "Met de fiets"})
    return event


def _organiser(deployed: Flask, event: Event) -> FlaskClient:
    client = deployed.test_client()
    login(client, make_user(event.organisation, Role.ORGANISER))
    return client


def _audit_actions(event: Event) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.record_id == event.id)
                                   .order_by(AuditEntry.id)))


def test_csv_export_streams_after_the_request_session_is_gone(deployed: Flask, event: Event) -> None:
    response = _organiser(deployed, event).get(f"/beheer/evenementen/{event.id}/aanmeldingen.csv")
    assert response.status_code == 200 and response.is_streamed
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    header, anna = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert anna[header.index("Naam")] == "Anna" and anna[header.index("Hoe kwam u hier?")] == "Met de fiets"
    assert _audit_actions(event) == ["registrations.exported"]


def test_xlsx_export_streams_and_is_audited(deployed: Flask, event: Event) -> None:
    response = _organiser(deployed, event).get(f"/beheer/evenementen/{event.id}/aanmeldingen.xlsx")
    assert response.status_code == 200
    header, anna = load_workbook(io.BytesIO(response.get_data()), read_only=True).active.iter_rows(values_only=True)
    assert anna[header.index("Hoe kwam u hier?")] == "Met de fiets"
    assert _audit_actions(event) == ["registrations.exported"]


def test_the_export_body_reads_nothing_from_the_request_session(deployed: Flask, event: Event) -> None:
    """A unit of work that commits and closes the session after the view returns, before the body is
    written: the body must still be complete."""
    def commit_and_close(response: Response) -> Response:
        db.session.commit()
        db.session.close()
        return response

    deployed.after_request(commit_and_close)
    client = _organiser(deployed, event)
    for suffix in ["csv", "xlsx"]:
        response = client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.{suffix}")
        assert response.status_code == 200 and len(response.get_data()) > 100
    assert "Met de fiets" in client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.csv").get_data().decode("utf-8-sig")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_an_export_that_cannot_start_leaves_no_audit_entry(deployed: Flask, event: Event, suffix: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> list[str]:
        raise RuntimeError("the questions cannot be read")

    deployed.config["PROPAGATE_EXCEPTIONS"] = False  # the 500 page, as a visitor gets it
    client = _organiser(deployed, event)
    monkeypatch.setattr(export, "_header", broken)
    assert client.get(f"/beheer/evenementen/{event.id}/aanmeldingen.{suffix}").status_code == 500
    assert _audit_actions(event) == []
