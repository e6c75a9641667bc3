"""A citizen through the deployed stack: find an event, sign up with its questions, get the mail, manage,
cancel; and a full event whose waiting list moves up when a seat frees."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from core.timeutils import utcnow
from events.models import QuestionKind
from tests.deployed.conftest import People, Seed, open_event
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed


def _event(seed: Seed, people: People, title: str, capacity: int) -> int:
    def make() -> int:
        import sqlalchemy as sa

        from accounts.models import Organisation
        from extensions import db
        from tests.factories import make_event, make_question

        organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == people.organisation_slug))
        event = make_event(organisation, title=title, slug=title.lower().replace(" ", "-"), capacity=capacity,
                           starts_at=utcnow() + timedelta(days=10))
        make_question(event, label="Hoe heeft u van deze avond gehoord?", kind=QuestionKind.SINGLE_CHOICE,
                      options=["Krant", "Website", "Via via"], required=True)
        make_question(event, label="Wat wilt u vooral leren?", kind=QuestionKind.SHORT_TEXT)
        return event.id

    return seed(make)  # type: ignore[return-value]


def _sign_up(page: Page, people: People, title: str, name: str, address: str) -> None:
    open_event(page, people, title)
    page.get_by_label(re.compile(r"^Naam \(verplicht\)")).fill(name)
    page.get_by_label(re.compile(r"^E-mailadres")).fill(address)
    page.get_by_label("Website").check()
    page.get_by_label("Wat wilt u vooral leren?").fill("Phishing herkennen")
    page.locator(".signup-form button[type=submit]").click()


def test_sign_up_with_questions_confirmation_mail_manage_ics_and_cancel(
        stack: Stack, people: People, seed: Seed, new_person: Callable[..., Page]) -> None:
    _event(seed, people, "Veilig bankieren", capacity=20)
    page = new_person(width=390, height=844)
    _sign_up(page, people, "Veilig bankieren", "Anna de Vries", "anna@burger.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedankt, uw aanmelding is ontvangen")

    mail = stack.mail.wait_for("anna@burger.example", "Aanmelding bevestigd: Veilig bankieren")
    assert "Anna de Vries" in mail.text()
    calendar = mail.attachment("text/calendar").decode()
    assert "BEGIN:VEVENT" in calendar and "SUMMARY:Veilig bankieren" in calendar

    page.goto(mail.link(stack.base_url, "/aanmelding/"))
    expect(page.get_by_text("U bent aangemeld en heeft een plaats.")).to_be_visible()
    expect(page.get_by_text("Website")).to_be_visible()
    expect(page.get_by_text("Phishing herkennen")).to_be_visible()
    page.get_by_role("link", name="Aanmelding annuleren").click()
    expect(page.get_by_role("heading", name="Aanmelding annuleren?")).to_be_visible()
    page.get_by_role("button", name="Ja, aanmelding annuleren").click()
    expect(page.get_by_text("Uw aanmelding is geannuleerd.")).to_be_visible()
    expect(page.get_by_text("Deze aanmelding is geannuleerd.")).to_be_visible()
    cancelled = stack.mail.wait_for("anna@burger.example", "Aanmelding geannuleerd: Veilig bankieren")
    assert "METHOD:CANCEL" in cancelled.attachment("text/calendar").decode()


def test_a_full_event_puts_the_next_on_the_waiting_list_and_promotes_them_when_a_seat_frees(
        stack: Stack, people: People, seed: Seed, new_person: Callable[..., Page]) -> None:
    _event(seed, people, "Wachtlijstavond", capacity=1)
    first, second = new_person(), new_person()
    _sign_up(first, people, "Wachtlijstavond", "Bert Eerste", "bert@burger.example")
    seat = stack.mail.wait_for("bert@burger.example", "Aanmelding bevestigd: Wachtlijstavond")

    _sign_up(second, people, "Wachtlijstavond", "Carla Tweede", "carla@burger.example")
    stack.mail.wait_for("carla@burger.example", "Op de wachtlijst: Wachtlijstavond")
    waiting = len(stack.mail.mails)

    first.goto(seat.link(stack.base_url, "/aanmelding/"))
    first.get_by_role("link", name="Aanmelding annuleren").click()
    first.get_by_role("button", name="Ja, aanmelding annuleren").click()
    expect(first.get_by_text("Uw aanmelding is geannuleerd.")).to_be_visible()

    promoted = stack.mail.wait_for("carla@burger.example", "Er is een plaats vrij", after=waiting)
    second.goto(promoted.link(stack.base_url, "/aanmelding/"))
    expect(second.get_by_text("U bent aangemeld en heeft een plaats.")).to_be_visible()
