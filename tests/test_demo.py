"""`flask demo load`: a living region on an empty database, loaded once."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from core.timeutils import utcnow
from demo import DEMO_PASSWORD
from events.models import Audience, CheckinLog, Event, EventKind, EventStatus, Registration, RegistrationStatus
from extensions import db
from mailing.models import OutgoingMessage
from tests.factories import make_organisation

README = Path(__file__).resolve().parent.parent / "README.md"


def load_demo(app: Flask, *options: str) -> Result:
    result = app.test_cli_runner().invoke(args=["demo", "load", *options])
    db.session.expire_all()
    return result


def count(model: type[db.Model], *criteria: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*criteria)) or 0


def test_demo_fills_an_empty_database_with_a_region(app: Flask) -> None:
    result = load_demo(app)
    assert result.exit_code == 0, result.output
    assert count(Organisation, Organisation.kind == OrganisationKind.MUNICIPALITY) == 3
    assert count(Organisation, Organisation.kind == OrganisationKind.PARTNER) == 1
    assert count(User, User.is_regional_admin) == 1
    assert set(db.session.scalars(sa.select(Membership.role).distinct())) == set(Role)
    published = [event for event in db.session.scalars(sa.select(Event).where(Event.status == EventStatus.PUBLISHED))
                 if event.starts_at > utcnow()]
    assert len(published) >= 12
    assert {event.kind for event in published} == set(EventKind)
    assert {event.audience for event in published} == set(Audience)
    assert count(Event, Event.status == EventStatus.DRAFT) == 1
    assert count(Event, Event.status == EventStatus.CANCELLED) == 1
    assert any(event.questions for event in published)
    assert count(Registration, Registration.status == RegistrationStatus.WAITLISTED) > 0
    registrations = count(Registration, Registration.event_id.in_([event.id for event in published]))
    assert registrations > 12
    assert count(OutgoingMessage, OutgoingMessage.template == "registration_confirmed") > 0
    assert count(OutgoingMessage) >= registrations  # held events are history: their people get no mail


def test_demo_prints_every_login_and_the_readme_lists_them(app: Flask) -> None:
    output = load_demo(app).output
    readme = README.read_text(encoding="utf-8")
    assert DEMO_PASSWORD in output and DEMO_PASSWORD in readme
    for email in db.session.scalars(sa.select(User.email)):
        assert email in output and email in readme


def test_demo_with_if_empty_adds_nothing_the_second_time(app: Flask) -> None:
    load_demo(app, "--if-empty")
    before = [count(model) for model in (Organisation, User, Event, Registration, OutgoingMessage)]
    result = load_demo(app, "--if-empty")
    assert result.exit_code == 0
    assert [count(model) for model in (Organisation, User, Event, Registration, OutgoingMessage)] == before


def test_demo_without_if_empty_refuses_a_database_with_organisations(app: Flask) -> None:
    make_organisation()
    result = load_demo(app)
    assert result.exit_code != 0
    assert "lege database" in result.output
    assert count(Organisation) == 1 and count(User) == 0


def test_demo_admin_logs_in_and_opens_the_events_admin_and_the_mail(app: Flask, client: FlaskClient) -> None:
    load_demo(app)
    response = client.post("/beheer/inloggen",
                           data={"email": "beheer@polderwaard.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/beheer/evenementen/").status_code == 200
    mail = client.get("/beheer/mail/")
    assert mail.status_code == 200
    assert "Aanmelding bevestigd: Sterke wachtwoorden en tweestapsverificatie" in mail.get_data(as_text=True)


def test_demo_has_held_events_with_attendance_for_the_results_dashboard(app: Flask, client: FlaskClient) -> None:
    load_demo(app)
    held = list(db.session.scalars(sa.select(Event).where(Event.ends_at < utcnow())))
    assert len(held) >= 6 and all(event.followup_sent_at for event in held)
    assert count(CheckinLog) == count(Registration, Registration.checked_in_at.is_not(None)) > 50
    client.post("/beheer/inloggen", data={"email": "regio@weerbaar.example", "password": DEMO_PASSWORD})
    page = client.get("/beheer/resultaten/").get_data(as_text=True)
    assert "Gemeente Duinwijck" in page and "Gemeente Polderwaard" in page
    assert app.test_cli_runner().invoke(args=["events", "tick"]).output.startswith("Herinneringen: ")
    db.session.expire_all()
    assert count(OutgoingMessage, OutgoingMessage.template.startswith("followup")) == 0


def test_demo_has_contacts_a_list_and_a_sent_campaign_with_statistics(app: Flask) -> None:
    from campaigns.models import Campaign, CampaignStatus, Contact, ContactList, ContactStatus, ContactTag, tag_memberships
    from campaigns.services.statistics import statistics

    assert load_demo(app).exit_code == 0
    assert count(ContactList) == 1
    assert count(ContactTag) == 3
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(tag_memberships.c.tag_id)))) == 3
    assert count(Contact, Contact.status == ContactStatus.SUBSCRIBED) >= 5
    assert count(Contact, Contact.status == ContactStatus.UNCONFIRMED) >= 1
    (campaign,) = db.session.scalars(sa.select(Campaign))
    assert campaign.status == CampaignStatus.SENT
    stats = statistics(campaign)
    assert stats.sent >= 5 and stats.registrations == 2 and stats.unsubscribed == 1


def test_demo_gives_a_living_effect_dashboard(app: Flask, client: FlaskClient) -> None:
    from effect.models import EffectResponse
    from tests.factories import login

    assert load_demo(app).exit_code == 0
    assert count(EffectResponse, EffectResponse.evaluated_at.is_not(None)) >= 40
    assert count(EffectResponse, EffectResponse.followed_up_at.is_not(None)) >= 5
    admin = db.session.scalar(sa.select(User).where(User.is_regional_admin))
    login(client, admin, DEMO_PASSWORD)
    page = client.get("/beheer/resultaten/").get_data(as_text=True)
    effect = page[page.index('id="effect"'):]
    assert "Van plan en gedaan" in effect and "%" in effect and "nog geen vragenlijsten" not in effect


def test_demo_refuses_to_load_under_the_production_configuration(app_with: Callable[..., Flask]) -> None:
    production = app_with("production")
    with production.app_context():  # the command runs in the app context it finds
        result = production.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
        assert count(Organisation) == 0 and count(User) == 0
    assert result.exit_code != 0
    assert "niet geladen onder de productieconfiguratie" in result.output
    assert "flask accounts create-admin" in result.output
