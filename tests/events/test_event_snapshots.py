"""The per-process snapshot of a public event (events/snapshots.py): fewer statements, and no
edit by the organiser is ever missed: each one below is made after a snapshot was taken, and the
very next request must show it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from core.timeutils import utcnow
from events.models import Event, EventStatus, Question, Registration
from extensions import db
from tests.factories import admin_url, login, make_event, make_organisation, make_question, make_user, signup_url


@contextmanager
def statements() -> Iterator[list[str]]:
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731 (before_cursor_execute: the SQL is the third)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def page(client: FlaskClient, event: Event) -> str:
    response = client.get(signup_url(event))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_known_event_is_not_read_again_through_the_orm(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    make_question(event, label="Uw rol")
    url = signup_url(event)
    client.get(url)  # takes the snapshot
    with statements() as sent:
        assert "Uw rol" in client.get(url).get_data(as_text=True)
    assert not [sql for sql in sent if "FROM questions" in sql]
    assert len([sql for sql in sent if "FROM events" in sql]) == 1


def test_an_edit_of_the_event_is_seen_by_the_next_request(client: FlaskClient) -> None:
    event = make_event(make_organisation(), title="Phishing herkennen")
    assert "Phishing herkennen" in page(client, event)
    event.title = "Phishing herkennen en melden"
    db.session.commit()
    assert "Phishing herkennen en melden" in page(client, event)


def test_closing_registration_refuses_the_next_sign_up(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    page(client, event)
    event.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    assert response.status_code == 409
    assert "gesloten" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_cancelling_the_event_is_seen_by_the_next_request(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    page(client, event)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert "gaat niet door" in page(client, event)


def test_a_question_added_edited_or_removed_through_the_admin_is_seen_at_once(client: FlaskClient) -> None:
    organisation = make_organisation()
    event = make_event(organisation)
    page(client, event)
    login(client, make_user(organisation, Role.ORGANISER))
    fields = {"help_text": "", "kind": "short_text", "option_lines": ""}
    client.post(admin_url(event, "vragen"), data=fields | {"label": "Uw rol"})
    assert "Uw rol" in page(client, event)
    question = db.session.scalars(sa.select(Question).where(Question.event_id == event.id)).one()
    client.post(admin_url(event, f"vragen/{question.id}/bewerken"), data=fields | {"label": "Uw functie"})
    edited = page(client, event)
    assert "Uw functie" in edited and "Uw rol" not in edited
    client.post(admin_url(event, f"vragen/{question.id}/verwijderen"))
    assert "Uw functie" not in page(client, event)


def test_a_required_question_added_after_the_snapshot_is_required_at_once(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    page(client, event)
    question = make_question(event, label="Uw rol", required=True)
    response = client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    assert response.status_code == 400
    response = client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org",
                                                    f"question_{question.id}": "Directeur"})
    assert response.status_code == 302


def test_renaming_the_organisation_is_seen_by_the_next_request(client: FlaskClient) -> None:
    organisation = make_organisation(name="Ondernemersvereniging Oost")
    event = make_event(organisation)
    assert "Ondernemersvereniging Oost" in page(client, event)
    organisation.name = "Ondernemersvereniging West"
    db.session.commit()
    assert "Ondernemersvereniging West" in page(client, event)


def test_snapshots_stay_outside_every_session(app: Flask, client: FlaskClient) -> None:
    event = make_event(make_organisation())
    make_question(event)
    page(client, event)
    page(client, event)
    (_key, snapshot), = app.extensions["event_snapshots"].values()
    for kept in (snapshot, snapshot.organisation, *snapshot.questions):
        assert sa.inspect(kept).session is None
