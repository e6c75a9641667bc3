"""EFFECT_RATE_LIMIT bites on the public effect forms: a flood of posts gets 429 and stores nothing more."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from core.timeutils import utcnow
from effect.models import EffectResponse
from effect.tokens import mint_evaluation, mint_followup
from events.tokens import manage_token
from extensions import db
from tests.effect.helpers import KNOWLEDGE_KEYS, attendee, evaluation_answers, held_event, responses, with_settings
from tests.factories import make_event, make_organisation, make_registration


def limited(app_with: Callable[..., Flask]) -> Flask:
    return app_with(RATELIMIT_ENABLED=True, EFFECT_RATE_LIMIT="2 per minute")


def test_the_evaluation_form_is_rate_limited(app_with: Callable[..., Flask]) -> None:
    client = limited(app_with).test_client()
    links = [mint_evaluation({"registration": attendee(held_event()).id}).removeprefix("http://localhost")
             for _ in range(3)]
    codes = [client.post(link, data=evaluation_answers()).status_code for link in links]
    assert codes == [302, 302, 429]
    assert len(responses()) == 2


def test_bad_posts_count_too_so_guessing_stays_slow(app_with: Callable[..., Flask]) -> None:
    client = limited(app_with).test_client()
    link = mint_evaluation({"registration": attendee(held_event()).id}).removeprefix("http://localhost")
    assert [client.post(link, data={}).status_code for _ in range(2)] == [400, 400]
    assert client.post(link, data=evaluation_answers()).status_code == 429
    assert responses() == []


def test_the_followup_survey_is_rate_limited(app_with: Callable[..., Flask]) -> None:
    client = limited(app_with).test_client()
    links = []
    for _ in range(3):
        event = held_event(hours_ago=100 * 24)
        response = EffectResponse(event_id=event.id, registration_id=attendee(event).id, evaluated_at=utcnow(),
                                  satisfaction=4, usefulness=4, intentions=["two_step"], followup_sent_at=utcnow())
        db.session.add(response)
        db.session.commit()
        links.append(mint_followup({"response": response.id}).removeprefix("http://localhost"))
    codes = [client.post(link, data={"actions": ["two_step"]}).status_code for link in links]
    assert codes == [302, 302, 429]
    assert sum(1 for response in responses() if response.followed_up_at) == 2


def test_the_knowledge_check_before_is_rate_limited(app_with: Callable[..., Flask]) -> None:
    client = limited(app_with).test_client()
    event = make_event(make_organisation())
    with_settings(event, knowledge_questions=KNOWLEDGE_KEYS)
    answers = {f"knowledge_{key}": "1" for key in KNOWLEDGE_KEYS}
    paths = [f"/aanmelding/{manage_token(make_registration(event))}/kennisvragen" for _ in range(3)]
    assert [client.post(path, data=answers).status_code for path in paths] == [302, 302, 429]
