"""Online links go only to confirmed people, and calendars follow changes and cancellations.

Every calendar is read by two independent parsers (icalendar and vobject), so a file one client
accepts and another rejects fails here.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes
from urllib.parse import parse_qs, urlparse

import icalendar
import vobject
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from core.timeutils import to_local, utcnow
from events.models import Event, EventKind, EventStatus, Registration, RegistrationStatus
from events.tokens import manage_token
from extensions import db
from mailing.message import build_message
from tests.factories import admin_url, login, make_event, make_organisation, make_registration, make_user, outbox

LINK = "https://meet.example.org/veilig-online-é"


def signup_url(event: Event) -> str:
    return f"/evenementen/{event.id}/{event.slug}"


def online_event(organisation: Organisation | None = None, **fields: object) -> Event:
    defaults: dict[str, object] = {"kind": EventKind.WEBINAR, "venue_name": None, "venue_address": None,
                                   "online_url": LINK, "title": "Webinar: phishing, één € minder"}
    return make_event(organisation or make_organisation(), **(defaults | fields))


def calendar_of(message: object) -> bytes:
    (part,) = [a for a in message.attachments if a.content_type.startswith("text/calendar")]  # type: ignore[attr-defined]
    return part.data


def both_parsers(data: bytes) -> tuple[icalendar.Calendar, object]:
    """The file as icalendar and as vobject read it; each must find exactly one VEVENT."""
    by_icalendar = icalendar.Calendar.from_ical(data)
    by_vobject = vobject.readOne(data.decode("utf-8"))
    assert len(by_icalendar.walk("VEVENT")) == 1 and len(by_vobject.vevent_list) == 1
    return by_icalendar, by_vobject


def vevent_facts(data: bytes) -> dict[str, object]:
    """UID, SEQUENCE, METHOD, STATUS and LOCATION, checked to agree between the two parsers."""
    by_icalendar, by_vobject = both_parsers(data)
    event = by_icalendar.walk("VEVENT")[0]
    facts = {
        "method": str(by_icalendar["METHOD"]),
        "uid": str(event["UID"]),
        "sequence": int(event["SEQUENCE"]),
        "status": str(event["STATUS"]),
        "location": str(event.get("LOCATION", "")),
        "last_modified": event.decoded("LAST-MODIFIED"),
        "start": event.decoded("DTSTART"),
    }
    other = by_vobject.vevent
    assert (by_vobject.method.value, other.uid.value, int(other.sequence.value), other.status.value) == (
        facts["method"], facts["uid"], facts["sequence"], facts["status"])
    assert other.dtstart.value == facts["start"]
    assert getattr(other, "location", None) is None or other.location.value == facts["location"]
    return facts


def everything_mailed_to(address: str) -> str:
    """Subjects, bodies and attachments of every outbox row to `address`, as one text."""
    parts = []
    for message in outbox():
        if message.to_address == address:
            parts += [message.subject, message.text_body, message.html_body or ""]
            parts += [a.data.decode("utf-8", "replace") for a in message.attachments]
    return "\n".join(parts)


def manage_path(registration: Registration) -> str:
    return f"/aanmelding/{manage_token(registration)}"


def tick(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["events", "tick"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def local(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def edit_fields(event: Event, **overrides: str) -> dict[str, str]:
    """The edit form as the organiser submits it, unchanged unless overridden."""
    return {
        "organisation_id": str(event.organisation_id), "title": event.title, "audience": event.audience.value,
        "kind": event.kind.value, "description": event.description, "starts_at": local(event.starts_at),
        "ends_at": local(event.ends_at), "venue_name": event.venue_name or "",
        "venue_address": event.venue_address or "", "online_url": event.online_url or "",
        "capacity": str(event.capacity), "waitlist_enabled": "y",
        "online_link_hours_before": str(event.online_link_hours_before or ""),
    } | overrides


def organiser_of(client: FlaskClient, event: Event) -> FlaskClient:
    login(client, make_user(event.organisation, Role.ORGANISER))
    return client


# --- the online link ------------------------------------------------------------------------------

def test_online_confirmation_carries_the_link_and_no_qr_ticket(client: FlaskClient) -> None:
    event = online_event()
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    (message,) = outbox("registration_confirmed")
    assert LINK in message.text_body and LINK in message.html_body
    assert "QR-code" not in message.html_body and "Laat deze QR-code" not in message.text_body
    assert [a.content_type.split(";")[0] for a in message.attachments] == ["text/calendar"]
    assert vevent_facts(calendar_of(message))["location"] == LINK


def test_confirmation_says_where_before_the_sentence_about_the_attachment(client: FlaskClient) -> None:
    event = make_event(make_organisation(), venue_name="Stadhuis Zeist")
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    text = outbox("registration_confirmed")[0].text_body
    assert text.index("We zien u graag op:") < text.index("Stadhuis Zeist") < text.index("in de bijlage")


def test_a_session_with_a_place_and_a_link_keeps_its_ticket(client: FlaskClient) -> None:
    event = make_event(make_organisation(), online_url=LINK)
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    (message,) = outbox("registration_confirmed")
    assert "Laat deze QR-code" in message.text_body and LINK in message.text_body


def test_the_waiting_list_never_gets_the_link_in_any_mail(app: Flask, client: FlaskClient) -> None:
    starts = (utcnow() + timedelta(hours=20)).replace(second=0, microsecond=0)  # as the edit form has it
    event = online_event(capacity=1, starts_at=starts, ends_at=starts + timedelta(hours=1), reminder_hours_before=24)
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    client.post(signup_url(event), data={"name": "Bram", "email": "bram@example.org"})
    client.post(signup_url(event), data={"name": "Bram", "email": "bram@example.org"})  # "already registered"
    tick(app)  # the reminder
    login(client, make_user(event.organisation, Role.ORGANISER))
    new_link = "https://meet.example.org/nieuw"
    assert client.post(admin_url(event), data=edit_fields(event, online_url=new_link,
                                                          notify_registrants="y")).status_code == 302

    assert {m.template for m in outbox() if m.to_address == "bram@example.org"} == {
        "registration_waitlisted", "already_registered"}
    waitlisted = everything_mailed_to("bram@example.org")
    assert "meet.example.org" not in waitlisted
    confirmed = everything_mailed_to("anna@example.org")
    assert LINK in confirmed and new_link in confirmed
    assert {"registration_confirmed", "reminder", "event_updated"} <= {m.template for m in outbox()
                                                                       if m.to_address == "anna@example.org"}


def test_a_promoted_person_gets_the_link_in_the_promotion(client: FlaskClient) -> None:
    event = online_event(capacity=1)
    seated = make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    client.post(manage_path(seated) + "/annuleren", data={"confirmed": "ja"})
    (promotion,) = outbox("registration_promoted")
    assert promotion.to_address == waiting.email and LINK in promotion.text_body
    assert "QR-code" not in promotion.text_body


def test_a_held_back_link_is_announced_then_sent_by_its_own_mail_after_the_reminder(app: Flask,
                                                                                    client: FlaskClient) -> None:
    event = online_event(starts_at=utcnow() + timedelta(hours=20), reminder_hours_before=24,
                         online_link_hours_before=2)
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    (confirmation,) = outbox("registration_confirmed")
    assert LINK not in everything_mailed_to("anna@example.org")
    assert "uiterlijk 2 uur voor het begin" in confirmation.text_body
    page = client.get(f"/aanmelding/{manage_token(db.session.get_one(Registration, confirmation.registration_id))}")
    assert LINK not in page.get_data(as_text=True) and "uiterlijk 2 uur" in page.get_data(as_text=True)

    tick(app)
    assert LINK not in outbox("reminder")[0].text_body and outbox("online_link") == []

    event = db.session.get_one(Event, event.id)
    event.starts_at, event.ends_at = utcnow() + timedelta(hours=1), utcnow() + timedelta(hours=2)
    db.session.commit()
    tick(app)
    tick(app)  # once only
    (link_mail,) = outbox("online_link")
    assert link_mail.to_address == "anna@example.org" and LINK in link_mail.text_body
    assert vevent_facts(calendar_of(link_mail))["location"] == LINK


def test_a_reminder_that_goes_after_the_release_carries_the_link_and_no_second_mail(app: Flask) -> None:
    event = online_event(starts_at=utcnow() + timedelta(hours=3), reminder_hours_before=4, online_link_hours_before=5)
    make_registration(event, email="anna@example.org")
    make_registration(event, email="bram@example.org", status=RegistrationStatus.WAITLISTED)
    tick(app)
    (reminder,) = outbox("reminder")
    assert reminder.to_address == "anna@example.org" and LINK in reminder.text_body
    assert outbox("online_link") == []
    assert "meet.example.org" not in everything_mailed_to("bram@example.org")


def test_the_public_feed_and_pages_never_show_the_link(client: FlaskClient) -> None:
    event = online_event()
    assert LINK not in client.get("/evenementen.ics").get_data(as_text=True)
    assert "meet.example.org" not in client.get(signup_url(event)).get_data(as_text=True)
    assert "meet.example.org" not in client.get("/evenementen.json").get_data(as_text=True)


def test_manage_page_shows_the_link_to_the_confirmed_only(client: FlaskClient) -> None:
    event = online_event(capacity=1)
    seated = make_registration(event)
    waiting = make_registration(event, status=RegistrationStatus.WAITLISTED)
    seated_page = client.get(manage_path(seated)).get_data(as_text=True)
    assert LINK in seated_page and "QR-code" not in seated_page
    waiting_page = client.get(manage_path(waiting)).get_data(as_text=True)
    assert "meet.example.org" not in waiting_page and "Krijgt u een plaats" in waiting_page
    assert client.get(manage_path(waiting) + "/agenda.ics").status_code == 404


# --- calendars that follow ------------------------------------------------------------------------

def test_an_update_mail_carries_the_same_uid_with_a_higher_sequence(client: FlaskClient) -> None:
    event = make_event(make_organisation(), title="Café-avond: één € minder")
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    make_registration(event, status=RegistrationStatus.WAITLISTED, email="bram@example.org")
    first = vevent_facts(calendar_of(outbox("registration_confirmed")[0]))
    assert first["method"] == "REQUEST" and first["sequence"] == 0

    organiser_of(client, event)
    later = event.starts_at + timedelta(days=1)
    response = client.post(admin_url(event), data=edit_fields(
        event, starts_at=local(later), ends_at=local(later + timedelta(hours=2)), venue_name="Bibliotheek",
        notify_registrants="y"))
    assert response.status_code == 302
    update, waiting = outbox("event_updated")
    assert update.to_address == "anna@example.org" and "Bibliotheek" in update.text_body
    assert waiting.to_address == "bram@example.org" and "Bibliotheek" in waiting.text_body
    second = vevent_facts(calendar_of(update))
    assert second["uid"] == first["uid"] and second["sequence"] == 1 and second["method"] == "REQUEST"
    assert second["start"] == later.replace(second=0, microsecond=0)
    assert second["last_modified"] >= first["last_modified"]


def test_the_waiting_list_hears_of_a_new_time_or_place_without_calendar_or_link(client: FlaskClient) -> None:
    event = online_event(capacity=1, venue_name="Stadhuis", venue_address="Markt 1")
    make_registration(event, email="anna@example.org")
    make_registration(event, status=RegistrationStatus.WAITLISTED, email="bram@example.org")
    organiser_of(client, event)
    assert client.post(admin_url(event), data=edit_fields(event, venue_name="Bibliotheek",
                                                          notify_registrants="y")).status_code == 302
    seated, waiting = outbox("event_updated")
    assert (seated.to_address, waiting.to_address) == ("anna@example.org", "bram@example.org")
    assert "wachtlijst" in waiting.text_body and "Bibliotheek" in waiting.text_body
    assert waiting.attachments == [] and "meet.example.org" not in waiting.text_body + waiting.html_body
    assert "in uw agenda" not in waiting.text_body and "wachtlijst" not in seated.text_body
    assert LINK in seated.text_body and calendar_of(seated)


def test_a_new_link_alone_is_no_news_to_the_waiting_list(client: FlaskClient) -> None:
    starts = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)  # the edit form keeps the time
    event = online_event(capacity=1, starts_at=starts, ends_at=starts + timedelta(hours=1))
    make_registration(event, email="anna@example.org")
    make_registration(event, status=RegistrationStatus.WAITLISTED, email="bram@example.org")
    organiser_of(client, event)
    assert client.post(admin_url(event), data=edit_fields(event, online_url="https://meet.example.org/nieuw",
                                                          notify_registrants="y")).status_code == 302
    assert [m.to_address for m in outbox("event_updated")] == ["anna@example.org"]


def test_a_person_promoted_by_the_same_edit_gets_one_mail_not_two(client: FlaskClient) -> None:
    event = make_event(make_organisation(), capacity=1, venue_name="Stadhuis")
    make_registration(event, email="anna@example.org")
    make_registration(event, status=RegistrationStatus.WAITLISTED, email="bram@example.org")
    make_registration(event, status=RegistrationStatus.WAITLISTED, email="cor@example.org")
    organiser_of(client, event)
    assert client.post(admin_url(event), data=edit_fields(event, capacity="2", venue_name="Bibliotheek",
                                                          notify_registrants="y")).status_code == 302
    assert sorted((m.to_address, m.template) for m in outbox() if m.template != "registration_confirmed") == [
        ("anna@example.org", "event_updated"), ("bram@example.org", "registration_promoted"),
        ("cor@example.org", "event_updated")]
    (promotion,) = outbox("registration_promoted")
    assert "Bibliotheek" in promotion.text_body


def test_a_change_without_notifying_mails_nobody_but_raises_the_sequence(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    make_registration(event)
    organiser_of(client, event)
    assert client.post(admin_url(event), data=edit_fields(event, venue_name="Bibliotheek")).status_code == 302
    assert outbox("event_updated") == []
    db.session.expire_all()
    assert db.session.get_one(Event, event.id).calendar_sequence == 1
    assert client.post(admin_url(event), data=edit_fields(db.session.get_one(Event, event.id), description="Nieuw",
                                                          notify_registrants="y")).status_code == 302
    assert outbox("event_updated") == []  # only time, place and link are calendar news


def test_cancelling_a_registration_mails_a_calendar_cancel(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    confirmed = vevent_facts(calendar_of(outbox("registration_confirmed")[0]))
    registration = db.session.get_one(Registration, outbox("registration_confirmed")[0].registration_id)
    client.post(manage_path(registration) + "/annuleren", data={"confirmed": "ja"})
    cancel = vevent_facts(calendar_of(outbox("registration_cancelled")[0]))
    assert cancel["method"] == "CANCEL" and cancel["status"] == "CANCELLED"
    assert cancel["uid"] == confirmed["uid"] and cancel["sequence"] >= confirmed["sequence"]


def test_cancelling_the_event_mails_everyone_a_calendar_cancel_with_a_higher_sequence(client: FlaskClient) -> None:
    event = make_event(make_organisation())
    make_registration(event)
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    organiser_of(client, event)
    assert client.post(admin_url(event, "annuleren"), data={"reason": "Ziek"}).status_code == 302
    mails = outbox("event_cancelled")
    assert len(mails) == 2
    for mail in mails:
        facts = vevent_facts(calendar_of(mail))
        assert (facts["method"], facts["status"], facts["sequence"]) == ("CANCEL", "CANCELLED", 1)
        assert facts["uid"] == f"event-{event.id}@localhost"


def test_calendar_parts_say_their_charset_and_method(client: FlaskClient) -> None:
    event = make_event(make_organisation(), title="Café met één €")
    client.post(signup_url(event), data={"name": "Anna", "email": "anna@example.org"})
    built = message_from_bytes(build_message(outbox("registration_confirmed")[0]))
    (part,) = [p for p in built.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_content_charset() == "utf-8" and part.get_param("method") == "REQUEST"
    assert "Café met één €" in part.get_payload(decode=True).decode("utf-8")


def test_manage_page_offers_the_file_and_google_and_outlook_links(client: FlaskClient) -> None:
    event = online_event()
    registration = make_registration(event)
    page = client.get(manage_path(registration)).get_data(as_text=True)
    assert "agenda.ics" in page
    response = client.get(manage_path(registration) + "/agenda.ics")
    assert response.mimetype == "text/calendar" and "no-store" in response.headers["Cache-Control"]
    facts = vevent_facts(response.data)
    assert facts["uid"] == f"event-{event.id}@localhost" and facts["location"] == LINK

    from bs4 import BeautifulSoup
    links = {a.get_text(strip=True): a["href"] for a in BeautifulSoup(page, "html.parser").find_all("a")}
    google = urlparse(links["Toevoegen aan Google Agenda"])
    assert (google.netloc, google.path) == ("calendar.google.com", "/calendar/render")
    query = parse_qs(google.query)
    assert query["action"] == ["TEMPLATE"] and query["text"] == [event.title]
    assert query["dates"] == [f"{event.starts_at:%Y%m%dT%H%M%SZ}/{event.ends_at:%Y%m%dT%H%M%SZ}"]
    outlook = urlparse(links["Toevoegen aan Outlook.com"])
    assert (outlook.netloc, outlook.path) == ("outlook.live.com", "/calendar/0/action/compose")
    query = parse_qs(outlook.query)
    assert query["rru"] == ["addevent"] and query["startdt"] == [f"{event.starts_at:%Y-%m-%dT%H:%M:%SZ}"]
    assert query["location"] == [LINK]


def test_the_feed_parses_with_both_libraries_and_carries_versions(client: FlaskClient) -> None:
    event = make_event(make_organisation(), status=EventStatus.PUBLISHED)
    body = client.get("/evenementen.ics").data
    by_icalendar = icalendar.Calendar.from_ical(body)
    (vevent,) = by_icalendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"event-{event.id}@localhost" and int(vevent["SEQUENCE"]) == 0
    assert "LAST-MODIFIED" in vevent
    assert vobject.readOne(body.decode()).vevent.uid.value == f"event-{event.id}@localhost"
