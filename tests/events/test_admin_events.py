"""Organisers create, edit, duplicate, publish, unpublish and cancel events over HTTP."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Membership, Organisation, Role
from core.timeutils import utcnow
from events.models import Event, EventStatus, QuestionKind, Registration, RegistrationStatus
from events.services import management
from extensions import db
from tests.conftest import QueryCounter
from tests.factories import (
    admin_url,
    login,
    make_event,
    make_organisation,
    make_question,
    make_registration,
    make_user,
    outbox,
    signup_url,
)


def event_fields(organisation: Organisation, **overrides: str) -> dict[str, str]:
    return {
        "organisation_id": str(organisation.id),
        "title": "Phishing herkennen",
        "audience": "citizens",
        "kind": "workshop",
        "description": "Leer nepmails herkennen.",
        "starts_at": "2027-03-10T19:30",
        "ends_at": "2027-03-10T21:00",
        "venue_name": "Bibliotheek",
        "venue_address": "Markt 1, Zeist",
        "online_url": "",
        "capacity": "20",
        "waitlist_enabled": "y",
        "registration_opens_at": "",
        "registration_closes_at": "",
    } | overrides


def events_of(organisation: Organisation) -> list[Event]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Event).where(Event.organisation_id == organisation.id).order_by(Event.id)))


def statuses(event: Event) -> list[RegistrationStatus]:
    db.session.expire_all()
    query = sa.select(Registration.status).where(Registration.event_id == event.id).order_by(Registration.id)
    return list(db.session.scalars(query))


@pytest.fixture
def organisation() -> Organisation:
    return make_organisation()


@pytest.fixture
def organiser_client(client: FlaskClient, organisation: Organisation) -> FlaskClient:
    login(client, make_user(organisation, Role.ORGANISER))
    return client


def test_create_stores_a_draft_with_amsterdam_times_in_utc(organiser_client: FlaskClient,
                                                            organisation: Organisation) -> None:
    response = organiser_client.post("/beheer/evenementen/nieuw", data=event_fields(
        organisation, starts_at="2027-07-01T10:00", ends_at="2027-07-01T12:00",
        registration_closes_at="2027-06-30T23:30"))
    assert response.status_code == 302
    [event] = events_of(organisation)
    assert event.status == EventStatus.DRAFT
    assert event.slug == "phishing-herkennen"
    assert event.starts_at == datetime(2027, 7, 1, 8, 0, tzinfo=timezone.utc)  # summer time: UTC+2
    assert event.registration_closes_at == datetime(2027, 6, 30, 21, 30, tzinfo=timezone.utc)
    assert event.waitlist_enabled and event.capacity == 20


def test_a_title_of_only_spaces_is_missing_and_stores_nothing(organiser_client: FlaskClient,
                                                               organisation: Organisation) -> None:
    response = organiser_client.post("/beheer/evenementen/nieuw", data=event_fields(organisation, title="    "))
    assert response.status_code == 400 and "Vul een titel in." in response.get_data(as_text=True)
    assert events_of(organisation) == []


PAST = {"starts_at": "2020-03-10T19:30", "ends_at": "2020-03-10T21:30"}


def test_a_start_in_the_past_asks_for_confirmation_and_stores_nothing(organiser_client: FlaskClient,
                                                                      organisation: Organisation) -> None:
    response = organiser_client.post("/beheer/evenementen/nieuw", data=event_fields(organisation, **PAST))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Dit begin ligt in het verleden." in page
    assert 'name="start_in_past_confirmed"' in page
    assert events_of(organisation) == []


def test_a_confirmed_start_in_the_past_is_saved(organiser_client: FlaskClient, organisation: Organisation) -> None:
    data = event_fields(organisation, **PAST, start_in_past_confirmed="y")
    assert organiser_client.post("/beheer/evenementen/nieuw", data=data).status_code == 302
    [event] = events_of(organisation)
    assert event.starts_at == datetime(2020, 3, 10, 18, 30, tzinfo=timezone.utc)


def test_editing_an_event_under_way_without_moving_its_start_asks_nothing(organiser_client: FlaskClient,
                                                                        organisation: Organisation) -> None:
    event = make_event(organisation, starts_at=utcnow() - timedelta(minutes=30))
    form = organiser_client.get(admin_url(event)).get_data(as_text=True)
    starts = re.search(r'name="starts_at"[^>]*value="([^"]+)"', form).group(1)
    ends = re.search(r'name="ends_at"[^>]*value="([^"]+)"', form).group(1)
    data = event_fields(organisation, starts_at=starts, ends_at=ends, title="Nieuwe titel")
    assert organiser_client.post(admin_url(event), data=data).status_code == 302
    moved = event_fields(organisation, starts_at="2020-03-10T19:30", ends_at=ends)
    assert organiser_client.post(admin_url(event), data=moved).status_code == 400


def test_publishing_an_event_whose_start_has_passed_asks_first(organiser_client: FlaskClient,
                                                               organisation: Organisation) -> None:
    event = make_event(organisation, starts_at=utcnow() - timedelta(days=3), status=EventStatus.DRAFT,
                       published_at=None)
    page = organiser_client.post(admin_url(event, "publiceren")).get_data(as_text=True)
    assert "Toch publiceren?" in page and "ligt in het verleden" in page
    assert events_of(organisation)[0].status == EventStatus.DRAFT
    response = organiser_client.post(admin_url(event, "publiceren"), data={"start_in_past_confirmed": "y"})
    assert response.status_code == 302
    assert events_of(organisation)[0].status == EventStatus.PUBLISHED


def test_the_service_refuses_to_publish_a_past_event_without_the_confirmation(app: Flask, organisation: Organisation) -> None:
    event = make_event(organisation, starts_at=utcnow() - timedelta(days=3), status=EventStatus.DRAFT,
                       published_at=None)
    with pytest.raises(management.StartInPast):
        management.publish_event(event.id)


def test_edit_shows_the_times_back_in_amsterdam_time(organiser_client: FlaskClient,
                                                      organisation: Organisation) -> None:
    event = make_event(organisation, starts_at=datetime(2027, 3, 10, 18, 30, tzinfo=timezone.utc))
    page = organiser_client.get(admin_url(event)).get_data(as_text=True)
    assert 'type="datetime-local"' in page
    assert 'value="2027-03-10T19:30"' in page and 'value="2027-03-10T21:30"' in page


def test_online_event_needs_no_venue(organiser_client: FlaskClient, organisation: Organisation) -> None:
    data = event_fields(organisation, venue_name="", venue_address="", online_url="https://meet.example.org/abc")
    assert organiser_client.post("/beheer/evenementen/nieuw", data=data).status_code == 302
    assert events_of(organisation)[0].online_url == "https://meet.example.org/abc"


def test_slug_is_unique_per_organisation_with_a_numeric_suffix(organiser_client: FlaskClient,
                                                               organisation: Organisation) -> None:
    for _ in range(3):
        organiser_client.post("/beheer/evenementen/nieuw",
                              data=event_fields(organisation, title="Café: veilig online!"))
    other = make_organisation()
    make_event(other, slug="cafe-veilig-online")
    assert [event.slug for event in events_of(organisation)] == [
        "cafe-veilig-online", "cafe-veilig-online-2", "cafe-veilig-online-3"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Vul een titel in."),
        ({"title": "x" * 201}, "200"),
        ({"description": "x" * 10001}, "10000"),
        ({"ends_at": "2027-03-10T19:00"}, "Het einde moet na het begin liggen."),
        ({"ends_at": "2027-03-10T19:30"}, "Het einde moet na het begin liggen."),
        ({"starts_at": "morgen"}, "Vul een datum en tijd in"),
        ({"starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T01:00"}, "Kies een datum tussen 2000 en 2099."),
        ({"venue_name": "", "venue_address": "", "online_url": ""}, "Vul een locatie of een link"),
        ({"online_url": "javascript:alert(1)"}, "Gebruik een link die begint met https://"),
        ({"online_url": "ftp://files.example.org/x"}, "Gebruik een link die begint met https://"),
        ({"capacity": "-1"}, "Vul een aantal van 0 tot 100.000 in."),
        ({"capacity": "veel"}, "Ongeldig getal"),
        ({"audience": "aliens"}, "Doelgroep"),
        ({"registration_closes_at": "2027-03-10T21:30"}, "Aanmelden moet sluiten vóór het einde"),
        ({"registration_opens_at": "2027-03-05T10:00", "registration_closes_at": "2027-03-01T10:00"},
         "Aanmelden moet openen vóórdat het sluit."),
        ({"registration_opens_at": "2027-03-10T20:00"}, "Aanmelden moet openen vóórdat het sluit."),
    ],
)
def test_invalid_event_is_refused_with_400_next_to_the_field_and_stores_nothing(
    organiser_client: FlaskClient, organisation: Organisation, overrides: dict[str, str], message: str
) -> None:
    response = organiser_client.post("/beheer/evenementen/nieuw", data=event_fields(organisation, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "utrecht-form-field-error-message" in page
    assert events_of(organisation) == []


def test_event_cannot_be_created_in_an_organisation_the_user_may_not_manage(
    organiser_client: FlaskClient, organisation: Organisation
) -> None:
    other = make_organisation()
    response = organiser_client.post("/beheer/evenementen/nieuw", data=event_fields(other))
    assert response.status_code == 400
    assert events_of(other) == [] and events_of(organisation) == []


def test_invalid_edit_changes_nothing(organiser_client: FlaskClient, organisation: Organisation) -> None:
    event = make_event(organisation, title="Oude titel")
    response = organiser_client.post(admin_url(event), data=event_fields(organisation, title="Nieuw", capacity="-5"))
    assert response.status_code == 400
    assert events_of(organisation)[0].title == "Oude titel"


def test_edit_saves_fields_and_renames_the_slug(organiser_client: FlaskClient, organisation: Organisation) -> None:
    event = make_event(organisation, title="Oud", slug="oud")
    response = organiser_client.post(admin_url(event), data=event_fields(organisation, title="Wachtwoorden beheren"))
    assert response.status_code == 302
    [saved] = events_of(organisation)
    assert (saved.title, saved.slug, saved.kind.value) == ("Wachtwoorden beheren", "wachtwoorden-beheren", "workshop")


def test_raising_capacity_promotes_the_waitlisted_and_mails_them(organiser_client: FlaskClient,
                                                                 organisation: Organisation) -> None:
    event = make_event(organisation, capacity=1)
    make_registration(event)
    waiting = [make_registration(event, status=RegistrationStatus.WAITLISTED) for _ in range(3)]
    response = organiser_client.post(admin_url(event), data=event_fields(organisation, capacity="3"))
    assert response.status_code == 302
    assert statuses(event) == [RegistrationStatus.CONFIRMED] * 3 + [RegistrationStatus.WAITLISTED]
    assert [mail.to_address for mail in outbox("registration_promoted")] == [waiting[0].email, waiting[1].email]
    assert "gemaild" in organiser_client.get(admin_url(event)).get_data(as_text=True)


def test_lowering_capacity_below_confirmed_seats_is_refused(organiser_client: FlaskClient,
                                                            organisation: Organisation) -> None:
    event = make_event(organisation, capacity=5)
    make_registration(event)
    make_registration(event)
    response = organiser_client.post(admin_url(event), data=event_fields(organisation, capacity="1", title="Nieuw"))
    assert response.status_code == 409
    assert "Er zijn al 2 plaatsen bevestigd" in response.get_data(as_text=True)
    [saved] = events_of(organisation)
    assert (saved.capacity, saved.title) == (5, event.title)
    assert statuses(event) == [RegistrationStatus.CONFIRMED] * 2
    assert organiser_client.post(admin_url(event), data=event_fields(organisation, capacity="2")).status_code == 302


def test_duplicate_copies_fields_and_questions_into_another_organisation_as_draft(client: FlaskClient) -> None:
    source_org, target_org = make_organisation(), make_organisation()
    user = make_user(source_org, Role.ORGANISER)
    db.session.add(Membership(user=user, organisation=target_org, role=Role.ORGANISER))
    db.session.commit()
    login(client, user)
    starts = datetime(2027, 3, 10, 18, 30, tzinfo=timezone.utc)
    event = make_event(source_org, title="Veilig bankieren", starts_at=starts, capacity=12,
                       online_url="https://x.example", registration_closes_at=starts - timedelta(days=1))
    make_question(event, label="Welke bank?", kind=QuestionKind.SINGLE_CHOICE, options=["ING", "Rabo"], required=True)
    make_question(event, label="Opmerkingen", kind=QuestionKind.LONG_TEXT)
    make_registration(event)
    response = client.post(admin_url(event, "dupliceren"),
                           data={"organisation_id": str(target_org.id), "starts_at": "2027-04-14T19:30"})
    assert response.status_code == 302
    [copy] = events_of(target_org)
    assert response.headers["Location"].endswith(f"/beheer/evenementen/{copy.id}/bewerken")
    assert copy.status == EventStatus.DRAFT and copy.slug == "veilig-bankieren"
    assert (copy.title, copy.capacity, copy.online_url, copy.venue_name) == (
        "Veilig bankieren", 12, "https://x.example", event.venue_name)
    assert copy.starts_at == datetime(2027, 4, 14, 17, 30, tzinfo=timezone.utc)
    assert copy.ends_at - copy.starts_at == event.ends_at - event.starts_at
    assert copy.starts_at - copy.registration_closes_at == timedelta(days=1)
    assert [(q.label, q.kind, q.options, q.required) for q in copy.questions] == [
        ("Welke bank?", QuestionKind.SINGLE_CHOICE, ["ING", "Rabo"], True),
        ("Opmerkingen", QuestionKind.LONG_TEXT, [], False),
    ]
    assert statuses(copy) == []
    assert len(events_of(source_org)[0].questions) == 2


def test_duplicate_on_another_date_in_the_same_organisation_gets_a_new_slug(
    organiser_client: FlaskClient, organisation: Organisation
) -> None:
    event = make_event(organisation, title="Webinar", slug="webinar")
    response = organiser_client.post(admin_url(event, "dupliceren"),
                                     data={"organisation_id": str(organisation.id), "starts_at": "2027-05-01T10:00"})
    assert response.status_code == 302
    assert [e.slug for e in events_of(organisation)] == ["webinar", "webinar-2"]


def test_duplicate_into_an_organisation_the_user_may_not_manage_is_refused(
    organiser_client: FlaskClient, organisation: Organisation
) -> None:
    event = make_event(organisation)
    other = make_organisation()
    response = organiser_client.post(admin_url(event, "dupliceren"),
                                     data={"organisation_id": str(other.id), "starts_at": "2027-05-01T10:00"})
    assert response.status_code == 400
    assert events_of(other) == []


def test_publish_makes_a_draft_public(organiser_client: FlaskClient, organisation: Organisation) -> None:
    event = make_event(organisation, status=EventStatus.DRAFT, published_at=None)
    assert organiser_client.get(signup_url(event)).status_code == 404
    assert organiser_client.post(admin_url(event, "publiceren")).status_code == 302
    assert events_of(organisation)[0].published_at is not None
    assert organiser_client.get(signup_url(event)).status_code == 200


def test_unpublish_hides_the_event_and_keeps_registrations(organiser_client: FlaskClient,
                                                           organisation: Organisation) -> None:
    event = make_event(organisation)
    make_registration(event)
    confirm_page = organiser_client.get(admin_url(event, "depubliceren")).get_data(as_text=True)
    assert "aanmeldingen blijven bewaard" in confirm_page
    assert organiser_client.post(admin_url(event, "depubliceren")).status_code == 302
    assert events_of(organisation)[0].status == EventStatus.DRAFT
    assert organiser_client.get(signup_url(event)).status_code == 404
    assert statuses(event) == [RegistrationStatus.CONFIRMED]
    assert outbox() == []


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (EventStatus.CANCELLED, "publiceren", "Een geannuleerde bijeenkomst kan niet opnieuw worden gepubliceerd."),
        (EventStatus.PUBLISHED, "publiceren", "Deze bijeenkomst is al gepubliceerd."),
        (EventStatus.DRAFT, "depubliceren", "Alleen een gepubliceerde bijeenkomst kan terug naar concept."),
        (EventStatus.CANCELLED, "depubliceren", "Alleen een gepubliceerde bijeenkomst kan terug naar concept."),
        (EventStatus.CANCELLED, "annuleren", "Deze bijeenkomst is al geannuleerd."),
    ],
)
def test_state_change_that_is_not_allowed_answers_409(organiser_client: FlaskClient, organisation: Organisation,
                                                      status: EventStatus, action: str, message: str) -> None:
    event = make_event(organisation, status=status)
    response = organiser_client.post(admin_url(event, action))
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert events_of(organisation)[0].status == status


def test_unpublish_confirmation_of_a_draft_answers_409(organiser_client: FlaskClient,
                                                      organisation: Organisation) -> None:
    event = make_event(organisation, status=EventStatus.DRAFT)
    assert organiser_client.get(admin_url(event, "depubliceren")).status_code == 409


def test_status_changes_need_the_csrf_token_the_pages_carry(app: Flask, organiser_client: FlaskClient,
                                                            organisation: Organisation) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    draft = make_event(organisation, status=EventStatus.DRAFT)
    assert organiser_client.post(admin_url(draft, "publiceren")).status_code == 400
    assert events_of(organisation)[0].status == EventStatus.DRAFT
    edit_page = organiser_client.get(admin_url(draft)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', edit_page)
    assert token is not None
    assert organiser_client.post(admin_url(draft, "publiceren"), data={"csrf_token": token[1]}).status_code == 302
    cancel_page = organiser_client.get(admin_url(draft, "annuleren")).get_data(as_text=True)
    assert 'name="csrf_token"' in cancel_page
    assert organiser_client.post(admin_url(draft, "annuleren")).status_code == 400
    assert events_of(organisation)[0].status == EventStatus.PUBLISHED


def test_cancel_mails_everyone_registered_exactly_once_and_shows_the_reason(
    organiser_client: FlaskClient, organisation: Organisation
) -> None:
    event = make_event(organisation, capacity=2)
    registered = [make_registration(event), make_registration(event),
                  make_registration(event, status=RegistrationStatus.WAITLISTED)]
    make_registration(event, status=RegistrationStatus.CANCELLED)
    confirm_page = organiser_client.get(admin_url(event, "annuleren")).get_data(as_text=True)
    assert "3 aangemelde personen" in confirm_page
    response = organiser_client.post(admin_url(event, "annuleren"), data={"reason": "De spreker is ziek."})
    assert response.status_code == 302
    assert organiser_client.post(admin_url(event, "annuleren"), data={"reason": "Nogmaals"}).status_code == 409
    assert organiser_client.post(admin_url(event, "publiceren")).status_code == 409
    mails = outbox("event_cancelled")
    assert sorted(mail.to_address for mail in mails) == sorted(r.email for r in registered)
    assert all("De spreker is ziek." in mail.text_body for mail in mails)
    assert len(outbox()) == 3
    saved = events_of(organisation)[0]
    assert saved.status == EventStatus.CANCELLED and saved.cancellation_reason == "De spreker is ziek."
    assert "De spreker is ziek." in organiser_client.get(signup_url(event)).get_data(as_text=True)


def test_cancel_with_a_too_long_reason_is_refused_and_mails_nobody(organiser_client: FlaskClient,
                                                                   organisation: Organisation) -> None:
    event = make_event(organisation)
    make_registration(event)
    response = organiser_client.post(admin_url(event, "annuleren"), data={"reason": "x" * 1001})
    assert response.status_code == 400
    assert events_of(organisation)[0].status == EventStatus.PUBLISHED
    assert outbox() == []


def test_index_shows_seat_counts_in_a_constant_number_of_queries(
    organiser_client: FlaskClient, organisation: Organisation, count_queries: QueryCounter
) -> None:
    first = make_event(organisation, title="Eerste", capacity=2)
    make_registration(first)
    make_registration(first)
    make_registration(first, status=RegistrationStatus.WAITLISTED)
    make_registration(first, status=RegistrationStatus.CANCELLED)
    with count_queries() as few:
        page = organiser_client.get("/beheer/evenementen/").get_data(as_text=True)
    assert "2 / 2" in page
    for n in range(5):
        event = make_event(organisation, title=f"Meer {n}")
        make_registration(event)
        make_registration(event, status=RegistrationStatus.WAITLISTED)
    with count_queries() as many:
        page = organiser_client.get("/beheer/evenementen/").get_data(as_text=True)
    assert page.count("1 / 10") == 5
    assert len(many) == len(few)


def test_index_filters_by_organisation_status_and_time(client: FlaskClient) -> None:
    zeist, utrecht = make_organisation(name="Zeist"), make_organisation(name="Utrecht")
    login(client, make_user(None, None, regional_admin=True))
    make_event(zeist, title="Komend gepubliceerd")
    make_event(zeist, title="Komend concept", status=EventStatus.DRAFT)
    make_event(zeist, title="Afgelopen sessie", starts_at=datetime.now(timezone.utc) - timedelta(days=3))
    make_event(utrecht, title="Utrechtse sessie", status=EventStatus.CANCELLED)

    def titles(query: str) -> set[str]:
        page = client.get(f"/beheer/evenementen/?{query}").get_data(as_text=True)
        return {title for title in ("Komend gepubliceerd", "Komend concept", "Afgelopen sessie", "Utrechtse sessie")
                if title in page}

    assert titles("") == {"Komend gepubliceerd", "Komend concept", "Afgelopen sessie", "Utrechtse sessie"}
    assert titles(f"organisatie={utrecht.id}") == {"Utrechtse sessie"}
    assert titles("status=draft") == {"Komend concept"}
    assert titles("wanneer=voorbij") == {"Afgelopen sessie"}
    assert titles(f"wanneer=komend&organisatie={zeist.id}&status=published") == {"Komend gepubliceerd"}
    assert titles("status=onzin") == titles("")


def test_two_organisers_saving_the_same_title_at_once_get_409_not_500(
    organiser_client: FlaskClient, organisation: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_event(organisation, title="Phishing herkennen", slug="phishing-herkennen")
    # What the slower of two simultaneous saves sees: the slug was free when it looked.
    monkeypatch.setattr("events.services.management.unique_slug", lambda *args, **kwargs: "phishing-herkennen")
    response = organiser_client.post("/beheer/evenementen/nieuw", data=event_fields(organisation))
    assert response.status_code == 409
    assert "Sla nog een keer op." in response.get_data(as_text=True)
    assert len(events_of(organisation)) == 1
