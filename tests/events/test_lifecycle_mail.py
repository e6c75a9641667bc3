"""Reminder before, follow-up after: due on time, once per event, whoever runs `flask events tick`."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Role
from core.timeutils import utcnow
from events.models import Event, RegistrationStatus
from events.services import lifecycle
from events.tickets import CONTENT_ID
from extensions import db
from tests.events.test_admin_events import event_fields
from tests.factories import login, make_event, make_organisation, make_registration, make_user, outbox


def tick(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["events", "tick"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def soon(**fields: object) -> Event:
    return make_event(make_organisation(), starts_at=utcnow() + timedelta(hours=20), **fields)


def ended(hours_ago: float = 3, **fields: object) -> Event:
    return make_event(make_organisation(), starts_at=utcnow() - timedelta(hours=hours_ago + 2), **fields)


def test_reminder_goes_to_confirmed_registrants_with_their_ticket_once(app: Flask) -> None:
    event = soon()
    anna, bram = make_registration(event, email="anna@example.org"), make_registration(event, email="bram@example.org")
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)

    assert "Herinneringen: 2" in tick(app)
    assert "Herinneringen: 0" in tick(app)

    mails = outbox("reminder")
    assert sorted(mail.to_address for mail in mails) == [anna.email, bram.email]
    assert all(mail.subject == f"Herinnering: {event.title}" for mail in mails)
    assert all(CONTENT_ID in [part.content_id for part in mail.attachments] for mail in mails)
    assert event.reminder_sent_at is not None


def test_reminder_waits_for_the_events_own_lead_time(app: Flask) -> None:
    later = make_event(make_organisation(), starts_at=utcnow() + timedelta(hours=30))
    early = make_event(make_organisation(), starts_at=utcnow() + timedelta(hours=30), reminder_hours_before=48)
    make_registration(later)
    reminded = make_registration(early)
    begun = make_event(make_organisation(), starts_at=utcnow() - timedelta(minutes=5))
    make_registration(begun)
    tick(app)
    assert [mail.to_address for mail in outbox("reminder")] == [reminded.email]
    assert later.reminder_sent_at is None and begun.reminder_sent_at is None


def test_followup_thanks_attendees_and_writes_differently_to_no_shows_once(app: Flask) -> None:
    event = ended()
    there = make_registration(event, checked_in_at=utcnow() - timedelta(hours=4))
    absent = make_registration(event)
    make_registration(event, status=RegistrationStatus.CANCELLED)

    assert "bedankmails: 1, gemist-mails: 1" in tick(app)
    assert "bedankmails: 0, gemist-mails: 0" in tick(app)

    (thanks,) = outbox("followup_attended")
    (missed,) = outbox("followup_no_show")
    assert (thanks.to_address, missed.to_address) == (there.email, absent.email)
    assert "Vragenlijst invullen" in thanks.text_body and "Vragenlijst" not in missed.text_body
    assert "niet gezien" in missed.text_body and missed.subject.startswith("We hebben u gemist")
    assert "veiliginternetten.nl" in missed.html_body
    assert "/aanmelding/" not in thanks.html_body


def test_no_followup_when_nobody_was_checked_in(app: Flask) -> None:
    event = ended()
    make_registration(event)
    tick(app)
    assert outbox() == [] and event.followup_sent_at is not None


def test_followup_waits_an_hour_for_late_check_ins_and_skips_old_events(app: Flask) -> None:
    just_ended = ended(hours_ago=0.5)
    long_ago = ended(hours_ago=24 * 10)
    for event in (just_ended, long_ago):
        make_registration(event, checked_in_at=event.starts_at)
    tick(app)
    assert outbox() == []


def test_extra_paragraphs_from_the_edit_form_appear_escaped_in_each_mail(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    event = make_event(organisation, starts_at=utcnow() + timedelta(hours=20))
    starts = (event.starts_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")  # Amsterdam = UTC+1 in winter
    ends = (event.ends_at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    fields = event_fields(organisation, starts_at=starts, ends_at=ends, reminder_hours_before="30",
                          reminder_text="Parkeren kan achter het <b>stadhuis</b>.\n\nNeem uw telefoon mee.",
                          attended_text="De dia's staan online.", no_show_text="Volgende keer in maart.")
    response = client.post(f"/beheer/evenementen/{event.id}/bewerken", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert (event.reminder_hours_before, event.no_show_text) == (30, "Volgende keer in maart.")
    make_registration(event)
    tick(app)
    (mail,) = outbox("reminder")
    assert "<p>Parkeren kan achter het &lt;b&gt;stadhuis&lt;/b&gt;.</p>" in mail.html_body
    assert "Neem uw telefoon mee." in mail.text_body
    edit_page = client.get(f"/beheer/evenementen/{event.id}/bewerken").get_data(as_text=True)
    assert "Volgende keer in maart." in edit_page


@pytest.mark.parametrize("hours", ["0", "337", "veel"])
def test_reminder_lead_time_out_of_range_is_refused_next_to_the_field(client: FlaskClient, hours: str) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    event = make_event(organisation)
    response = client.post(f"/beheer/evenementen/{event.id}/bewerken",
                           data=event_fields(organisation, reminder_hours_before=hours))
    assert response.status_code == 400
    db.session.expire_all()
    assert event.reminder_hours_before == 24


def _send_reminders_in_parallel(app: Flask, event: Event, threads: int = 4) -> None:
    start = threading.Barrier(threads)
    now, event_id = utcnow(), event.id  # read here: the test's own session is not for threads

    def run() -> None:
        with app.app_context():
            start.wait()
            lifecycle.send_reminder(event_id, now)
            db.session.commit()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)


@pytest.mark.postgres_only
def test_parallel_ticks_send_each_reminder_once(app: Flask) -> None:
    event = soon()
    for _ in range(5):
        make_registration(event)
    _send_reminders_in_parallel(app, event)
    db.session.expire_all()
    assert len(outbox("reminder")) == 5


@pytest.mark.postgres_only
def test_negative_control_without_the_event_lock_parallel_ticks_send_twice(app: Flask) -> None:
    app.config["EVENT_LOCK_ENABLED"] = False
    duplicated = False
    for _ in range(3):
        event = soon()
        for _ in range(5):
            make_registration(event)
        _send_reminders_in_parallel(app, event)
        db.session.expire_all()
        if len([mail for mail in outbox("reminder") if mail.subject.endswith(event.title)]) > 5:
            duplicated = True
            break
    assert duplicated, "without the lock parallel ticks should send twice; if not, this test proves nothing"


def test_a_duplicate_keeps_the_texts_and_lead_time_but_is_not_marked_as_sent(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    login(client, make_user(organisation, Role.ORGANISER))
    event = make_event(organisation, reminder_hours_before=48, reminder_text="Parkeren achter.",
                       reminder_sent_at=utcnow(), followup_sent_at=utcnow())
    response = client.post(f"/beheer/evenementen/{event.id}/dupliceren",
                           data={"organisation_id": organisation.id, "starts_at": "2027-05-01T19:30"})
    assert response.status_code == 302
    copy = db.session.get(Event, int(response.headers["Location"].split("/")[-2]))
    assert (copy.reminder_hours_before, copy.reminder_text) == (48, "Parkeren achter.")
    assert copy.reminder_sent_at is None and copy.followup_sent_at is None
