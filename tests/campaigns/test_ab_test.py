"""The subject test (A/B): the test share split between A and B at launch, the rest held; after the
waiting time the tick sends the subject with more sign-ups to the rest. Nobody gets two mails."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation, Role
from campaigns.models import Campaign, CampaignStatus, Contact, ContactStatus, DeliveryStatus, SubjectTest
from campaigns.services import ab_test, delivery, sending
from core.db import unit_of_work
from core.timeutils import utcnow
from extensions import db
from mailing.models import MessageStatus, OutgoingMessage
from mailing.services import bodies
from tests.campaigns.helpers import form_of, signed_in
from tests.factories import (
    confirm_and_send,
    login,
    make_campaign,
    make_contact,
    make_event,
    make_organisation,
    make_registration,
    make_user,
)


def rows(campaign_id: int) -> list[OutgoingMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.campaign_id == campaign_id)))


def with_test(campaign: Campaign, percent: int = 20, subject_b: str = "Onderwerp B") -> None:
    db.session.add(SubjectTest(campaign_id=campaign.id, subject_b=subject_b, test_percent=percent, wait_minutes=60))
    db.session.commit()


def campaign_with_a_subject_test(client: FlaskClient) -> Campaign:
    """A campaign with a subject test (20%) to ten contacts, its organisation's officer signed in."""
    organisation = make_organisation()
    for _ in range(10):
        make_contact(organisation)
    campaign = make_campaign(organisation, subject="Onderwerp A")
    with_test(campaign)
    signed_in(client, organisation)
    return campaign


def wait_over(campaign: Campaign) -> None:
    db.session.execute(sa.update(SubjectTest).where(SubjectTest.campaign_id == campaign.id)
                       .values(started_at=utcnow() - timedelta(minutes=61)))
    db.session.commit()


def sign_ups(campaign: Campaign, variant: str, count: int) -> None:
    event = make_event(db.session.get_one(Organisation, campaign.organisation_id))
    for _ in range(count):
        make_registration(event, source=ab_test.variant_tag(campaign, variant))


def test_the_test_share_is_split_between_a_and_b_and_the_rest_waits(client: FlaskClient) -> None:
    campaign = campaign_with_a_subject_test(client)
    page = client.get(f"/beheer/campagnes/{campaign.id}/versturen").get_data(as_text=True)
    assert "Onderwerp B: Onderwerp B. 20% krijgt A of B" in page

    assert confirm_and_send(client, campaign).status_code == 302

    launched = rows(campaign.id)
    assert len(launched) == 10
    queued = [row for row in launched if row.status == MessageStatus.QUEUED]
    assert sorted(row.subject for row in queued) == ["Onderwerp A", "Onderwerp B"]
    held = [row for row in launched if row.last_error == ab_test.HELD_MARK]
    assert len(held) == 8 and {row.status for row in held} == {MessageStatus.CANCELLED}
    assert delivery.status_counts(db.session.get_one(Campaign, campaign.id))[DeliveryStatus.QUEUED] == 10
    # The campaign is not done while the rest waits, and deciding before the waiting time does nothing.
    for row in queued:
        row.status, row.sent_at = MessageStatus.SENT, utcnow()
    db.session.commit()
    with unit_of_work():
        assert sending.finish_sent() == []
    assert ab_test.decide_due() == []
    assert len([row for row in rows(campaign.id) if row.last_error == ab_test.HELD_MARK]) == 8


def test_after_the_waiting_time_the_subject_with_more_sign_ups_goes_to_the_rest(app: Flask, client: FlaskClient) -> None:
    campaign = campaign_with_a_subject_test(client)
    confirm_and_send(client, campaign)
    sign_ups(campaign, "a", 1)
    sign_ups(campaign, "b", 2)
    wait_over(campaign)

    result = app.test_cli_runner().invoke(args=["campaigns", "tick"])

    assert f"campaign {campaign.id}: subject test decided: B goes to the rest" in result.output
    subjects = [row.subject for row in rows(campaign.id)]
    assert subjects.count("Onderwerp B") == 9 and subjects.count("Onderwerp A") == 1
    assert all(row.status == MessageStatus.QUEUED for row in rows(campaign.id))
    again = app.test_cli_runner().invoke(args=["campaigns", "tick"])
    assert "subject test" not in again.output
    page = client.get(f"/beheer/campagnes/{campaign.id}").get_data(as_text=True)
    assert "Onderwerp B won en is naar de rest gestuurd." in page and "Onderwerptest per variant" in page
    assert "Aanmeldingen voor bijeenkomsten via deze campagne" in page


def test_a_tie_goes_to_subject_a_and_a_paused_campaign_waits(client: FlaskClient) -> None:
    campaign = campaign_with_a_subject_test(client)
    confirm_and_send(client, campaign)
    wait_over(campaign)
    with unit_of_work():
        sending.pause(campaign.id)
    assert ab_test.decide_due() == []
    with unit_of_work():
        sending.resume(campaign.id)
    assert ab_test.decide_due() == [(campaign.id, "subject test decided: A goes to the rest")]
    assert [row.subject for row in rows(campaign.id)].count("Onderwerp A") == 9


def test_setting_up_a_test_over_http_and_who_may(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, subject="Onderwerp A")
    url = f"/beheer/campagnes/{campaign.id}/onderwerptest"
    signed_in(client, organisation)
    page = client.get(url)
    assert page.status_code == 200 and "meeste aanmeldingen voor de bijeenkomsten" in page.get_data(as_text=True)
    same = client.post(url, data={"subject_b": "Onderwerp A", "test_percent": 20, "wait_minutes": 60})
    assert same.status_code == 400 and "anders zijn dan onderwerp A" in same.get_data(as_text=True)
    assert client.post(url, data={"subject_b": "B", "test_percent": 90, "wait_minutes": 60}).status_code == 400
    assert client.post(url, data={"subject_b": "Onderwerp B", "test_percent": 20, "wait_minutes": 60}).status_code == 302
    assert db.session.get(SubjectTest, campaign.id).subject_b == "Onderwerp B"
    assert client.post(url, data={"actie": "verwijderen"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SubjectTest, campaign.id) is None
    client.post("/beheer/uitloggen")
    login(client, make_user(organisation, Role.ORGANISER))
    assert client.get(url).status_code == 403
    client.post("/beheer/uitloggen")
    login(client, make_user(make_organisation(), Role.ADMIN))
    assert client.get(url).status_code == 404
    assert client.post(url, data={"subject_b": "X", "test_percent": 20, "wait_minutes": 60}).status_code == 404


CONTACTS = 10_000
TICKS = 6


def launch_and_tick_concurrently(app: Flask) -> tuple[Campaign, set[int], list[tuple[int, str]], list[OutgoingMessage]]:
    """A launch of 10,000 with a 20% test, B ahead on sign-ups, then TICKS ticks at the same moment:
    the campaign, the contacts that got B in the test, the decisions reported and the final rows."""
    organisation = make_organisation()
    db.session.execute(sa.insert(Contact), [
        {"organisation_id": organisation.id, "email": f"lezer{n}@example.org", "status": ContactStatus.SUBSCRIBED,
         "link_token": f"token-{n}"} for n in range(CONTACTS)])
    db.session.commit()
    campaign = make_campaign(organisation, subject="Onderwerp A")
    with_test(campaign, percent=20)
    with unit_of_work():
        assert sending.launch(campaign.id) == CONTACTS

    launched = rows(campaign.id)
    by_subject = {subject: sum(1 for row in launched if row.subject == subject and row.status == MessageStatus.QUEUED)
                  for subject in ("Onderwerp A", "Onderwerp B")}
    assert by_subject == {"Onderwerp A": 1000, "Onderwerp B": 1000}
    assert sum(1 for row in launched if row.last_error == ab_test.HELD_MARK) == 8000
    test_b = {row.contact_id for row in launched if row.subject == "Onderwerp B"}
    sign_ups(campaign, "b", 3)
    sign_ups(campaign, "a", 1)
    wait_over(campaign)

    outcomes: list[list[tuple[int, str]]] = []
    barrier = threading.Barrier(TICKS)

    def tick() -> None:
        with app.app_context():
            barrier.wait()
            outcomes.append(ab_test.decide_due())

    ticks = [threading.Thread(target=tick) for _ in range(TICKS)]
    for thread in ticks:
        thread.start()
    for thread in ticks:
        thread.join(60)
    decided = [outcome for batch in outcomes for outcome in batch if "decided" in outcome[1]]
    return campaign, test_b, decided, rows(campaign.id)


@pytest.mark.postgres_only
def test_a_launch_of_ten_thousand_gives_each_contact_one_subject_under_concurrent_ticks(app: Flask) -> None:
    campaign, test_b, decided, final = launch_and_tick_concurrently(app)

    assert ab_test.decide_due() == []  # and run again afterwards
    assert decided == [(campaign.id, "subject test decided: B goes to the rest")]
    per_contact: dict[int, int] = {}
    for row in final:
        per_contact[row.contact_id] = per_contact.get(row.contact_id, 0) + 1
    assert len(final) == CONTACTS and set(per_contact.values()) == {1}
    assert sum(1 for row in final if row.subject == "Onderwerp A") == 1000
    assert sum(1 for row in final if row.subject == "Onderwerp B") == 9000
    assert test_b <= {row.contact_id for row in final if row.subject == "Onderwerp B"}
    assert all(row.status == MessageStatus.QUEUED and row.last_error is None for row in final)
    assert db.session.get_one(Campaign, campaign.id).status == CampaignStatus.SENDING


@pytest.mark.postgres_only
def test_negative_control_without_the_decision_lock_the_same_ticks_decide_more_than_once(app: Flask) -> None:
    """The test above can fail: without the campaign's row lock (and the look at `decided_at` under it)
    the concurrent ticks each decide and each re-queue the held rows."""
    app.config["SUBJECT_TEST_LOCK_ENABLED"] = False
    try:
        campaign, _, decided, final = launch_and_tick_concurrently(app)
    finally:
        app.config["SUBJECT_TEST_LOCK_ENABLED"] = True
    assert len(decided) > 1, "the concurrent ticks decided once even without the lock: the test proves nothing"
    assert len(final) == CONTACTS


CLICKED = "https://veiliginternetten.example/tips"


def launch_tracked_test(client: FlaskClient) -> tuple[Campaign, dict[str, str]]:
    """A campaign without events that tracks clicks, its test launched: {variant: its click redirect}."""
    campaign = campaign_with_a_subject_test(client)
    source = campaign.mjml_source.replace("<ol>", f'<p><a href="{CLICKED}">Meer tips</a></p><ol>', 1)
    data = form_of(campaign, mjml_source=source) | {"track_clicks": "y"}
    assert client.post(f"/beheer/campagnes/{campaign.id}/bewerken", data=data).status_code == 302
    assert confirm_and_send(client, campaign).status_code == 302
    redirects = {}
    for row in rows(campaign.id):
        if row.status == MessageStatus.QUEUED:
            (redirect,) = re.findall(r'href="http://localhost(/nieuwsbrief/klik/[^"]+)"[^>]*>Meer tips', bodies(row).html)
            redirects["a" if row.subject == "Onderwerp A" else "b"] = redirect
    assert set(redirects) == {"a", "b"} and redirects["a"] != redirects["b"]
    return campaign, redirects


def test_without_events_the_subject_with_more_clicks_goes_to_the_rest(client: FlaskClient) -> None:
    campaign, redirects = launch_tracked_test(client)
    for variant, clicks in (("a", 1), ("b", 2)):
        for _ in range(clicks):
            response = client.get(redirects[variant])
            assert response.status_code == 302 and response.location == CLICKED
    sign_ups(campaign, "a", 3)  # sign-ups do not decide a campaign without events of its own
    wait_over(campaign)

    assert ab_test.decide_due() == [(campaign.id, "subject test decided: B goes to the rest")]

    test = db.session.get_one(SubjectTest, campaign.id, populate_existing=True)
    assert (test.clicks_a, test.clicks_b, test.decided_by) == (1, 2, "clicks")
    assert [row.subject for row in rows(campaign.id)].count("Onderwerp B") == 9
    page = client.get(f"/beheer/campagnes/{campaign.id}").get_data(as_text=True)
    assert "de meeste kliks op links in de mail" in page and "Onderwerp B won" in page
    assert re.search(r"Onderwerp B</td>(<td[^>]*>\d+</td>){3}<td[^>]*>2</td></tr>", page)


def test_a_tie_in_clicks_goes_to_subject_a_and_the_page_says_why(client: FlaskClient) -> None:
    campaign, redirects = launch_tracked_test(client)
    client.get(redirects["a"])
    client.get(redirects["b"])
    for page in (client.get(f"/beheer/campagnes/{campaign.id}"), client.get(f"/beheer/campagnes/{campaign.id}/onderwerptest")):
        assert "Bij gelijke stand wint A" in page.get_data(as_text=True) and "meeste kliks" in page.get_data(as_text=True)
    wait_over(campaign)
    assert ab_test.decide_due() == [(campaign.id, "subject test decided: A goes to the rest")]
    assert db.session.get_one(SubjectTest, campaign.id, populate_existing=True).decided_by == "clicks"


def test_a_campaign_with_events_is_decided_by_sign_ups_even_when_it_tracks_clicks(client: FlaskClient) -> None:
    organisation = make_organisation()
    campaign = make_campaign(organisation, subject="Onderwerp A", track_clicks=True)
    campaign.event_ids = [make_event(organisation).id]
    db.session.commit()
    assert ab_test.criterion(campaign) == "signups"
    campaign.event_ids = []
    assert ab_test.criterion(campaign) == "clicks"
    campaign.track_clicks = False
    assert ab_test.criterion(campaign) == "signups"
