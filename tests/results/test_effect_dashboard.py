"""The Effect part of the results dashboard, its CSV and print: known answers in, known figures out,
nothing from fewer than 5 answers, not even by subtracting two shown figures."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from core.timeutils import utcnow
from effect.models import EffectResponse
from events.models import Audience, Event
from extensions import db
from tests.factories import login, make_event, make_organisation, make_registration, make_user

URL = "/beheer/resultaten/"


def held_with_answers(organisation: Organisation, answers: list[dict], attended: int | None = None,
                      audience: Audience = Audience.CITIZENS, days_ago: int = 20) -> Event:
    event = make_event(organisation, starts_at=utcnow() - timedelta(days=days_ago), audience=audience)
    for n in range(attended if attended is not None else len(answers)):
        registration = make_registration(event, checked_in_at=event.starts_at)
        if n < len(answers):
            db.session.add(EffectResponse(event_id=event.id, registration_id=registration.id, evaluated_at=utcnow(),
                                          **({"satisfaction": 4, "usefulness": 4, "intentions": []} | answers[n])))
    db.session.commit()
    return event


def test_known_answers_give_known_figures_and_a_small_organisation_is_not_given_away(client: FlaskClient) -> None:
    oost, west = make_organisation(name="Gemeente Oost"), make_organisation(name="Gemeente West")
    # Oost: 10 answers from 20 attendees; satisfaction 3 and 5 alike (mean 4.0); knowledge 2 of 10 right
    # before, 8 of 10 after; all meant to turn on two-step login, 4 of the 8 who answered the follow-up did.
    oost_answers = [{"satisfaction": 3 if n % 2 else 5, "knowledge_before": {"two_step": 1 if n < 2 else 0},
                     "knowledge_after": {"two_step": 1 if n < 8 else 0}, "intentions": ["two_step"],
                     "followed_up_at": utcnow() if n < 8 else None, "actions": ["two_step"] if n < 4 else []}
                    for n in range(10)]
    held_with_answers(oost, oost_answers, attended=20)
    # West: 3 answers, all satisfaction 1. The region total (13) minus Oost (10) would tell them.
    held_with_answers(west, [{"satisfaction": 1}] * 3)
    login(client, make_user(regional_admin=True))

    page = client.get(URL).get_data(as_text=True)
    effect = page[page.index('id="effect"'):]
    assert "Gemeente West" in effect and "< 5" in effect
    region = _csv(client, {})
    organisations = {row[1]: row[2] for row in region if row and row[0] == "Organisatie"}
    events = [row[2] for row in region if row and row[0] == "Bijeenkomst"]
    total = _row(region, "Totaal")[2]
    assert organisations["Gemeente West"] == "< 5"
    # Region total minus Oost (as organisation or as its one event) must not give West's 3.
    assert total == "< 5" or (organisations["Gemeente Oost"] == "< 5" and "10" not in events)

    # Every page shows its slice of one decision: Oost's own page cannot undo it.
    oost_page = client.get(URL, query_string={"organisatie": oost.id}).get_data(as_text=True)
    assert "Gemeente West" not in oost_page[oost_page.index('id="effect"'):]
    oost_total = _row(_csv(client, {"organisatie": oost.id}), "Totaal")[2]
    assert total == "< 5" or oost_total == "< 5"


def test_the_figures_from_enough_answers_are_right(client: FlaskClient) -> None:
    oost = make_organisation(name="Gemeente Oost")
    answers = [{"satisfaction": 3 if n % 2 else 5, "usefulness": 2,
                "knowledge_before": {"two_step": 1 if n < 2 else 0, "bank_sms": 1},
                "knowledge_after": {"two_step": 1 if n < 8 else 0, "bank_sms": 1},
                "intentions": ["two_step", "backups"] if n < 6 else ["two_step"],
                "followed_up_at": utcnow() if n < 8 else None, "actions": ["two_step"] if n < 4 else [],
                "experience_consent": n < 5, "experienced": ["phishing"] if n < 1 else [], "reported": []}
               for n in range(10)]
    held_with_answers(oost, answers, attended=20)
    login(client, make_user(oost, Role.ORGANISER))
    rows = _csv(client, {})
    assert _row(rows, "Totaal")[2:] == ["10", "50%", "4,0", "2,0", "60%", "90%"]  # pooled per person
    assert _question(rows, "Wat doet tweestapsverificatie?") == ["20%", "80%"]
    assert _question(rows, "Tweestapsverificatie aanzetten op mijn belangrijkste accounts") == ["100%", "50%"]
    # backups: 6 meant to, of the 6 all answered the follow-up, none did it
    assert _question(rows, "Back-ups maken die los van mijn computer staan") == ["60%", "0%"]
    # 5 gave consent, 1 of them met phishing: a share from 5 answers is shown; reports from 1 are not
    assert _question(rows, "Een phishingbericht (mail of sms) waarop ik heb gereageerd") == ["20%"]
    assert _question(rows, "Bij de politie") == ["< 5"]
    page = client.get(URL).get_data(as_text=True)
    assert "4,0" in page and "Van plan en gedaan" in page


def test_no_figure_from_fewer_than_five_answers_anywhere(client: FlaskClient) -> None:
    organisation = make_organisation(name="Gemeente Klein")
    held_with_answers(organisation, [{"satisfaction": 2}] * 4)
    login(client, make_user(organisation))
    rows = _csv(client, {})
    assert _row(rows, "Totaal")[2:] == ["< 5", "< 5", "< 5", "< 5", "–", "–"]
    page = client.get(URL).get_data(as_text=True)
    effect = page[page.index('id="effect"'):]
    assert "2,0" not in effect and ">4<" not in effect


def _csv(client: FlaskClient, query: dict) -> list[list[str]]:
    response = client.get(URL + "resultaten.csv", query_string=query)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def _row(rows: list[list[str]], section: str) -> list[str]:
    return next(row for row in rows if row and row[0] == section and len(row) > 6)


def _question(rows: list[list[str]], name: str) -> list[str]:
    return next(row[2:] for row in rows if len(row) > 2 and row[1] == name)
