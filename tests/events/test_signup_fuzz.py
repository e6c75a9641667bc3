"""Fuzzing the public sign-up form: no input gives a 500, and only a redirect can add a registration."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import Audience, Event, QuestionKind, Registration
from extensions import db
from tests.factories import make_event, make_organisation, make_question, signup_url

FIELDS = ["name", "email", "company_name", "phone", "keep_informed", "website", "csrf_token"]
# Any Unicode (control characters and NUL included, surrogates cannot be sent), and some long strings.
texts = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8"), min_size=190, max_size=5000),
    st.emails(),
    st.sampled_from(["", " ", "a@b", "@example.org", "anna@example..org", "anna@[127.0.0.1]", "😀@😀.nl",
                     "ja", "on", "y", "x" * 255 + "@example.org", "anna@example.org\r\nBcc: x@example.org"]),
)
values = st.one_of(texts, st.lists(texts, min_size=2, max_size=3))  # a list: one field sent several times


def _form_fields(event: Event) -> list[str]:
    return FIELDS + [f"question_{question.id}" for question in event.questions]


def _registrations() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


def _event_with_every_kind_of_question() -> Event:
    event = make_event(make_organisation(), audience=Audience.SMES, capacity=3, waitlist_enabled=True)
    for kind in QuestionKind:
        options = ["Ja", "Nee"] if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE) else []
        make_question(event, kind=kind, options=options, required=kind == QuestionKind.SHORT_TEXT)
    db.session.refresh(event)
    return event


def test_no_input_to_the_signup_form_gives_a_500(app: Flask) -> None:
    event = _event_with_every_kind_of_question()
    client = app.test_client()
    url = signup_url(event)
    required_question = next(q for q in event.questions if q.required)
    valid = {"name": "Anna de Vries", "email": "anna@example.org", "company_name": "Bakkerij de Vries",
             f"question_{required_question.id}": "Ja"}
    seen: set[int] = set()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def post_anything(data: st.DataObject) -> None:
        chosen = data.draw(st.lists(st.sampled_from(_form_fields(event)), unique=True))
        # A valid sign-up with some fields replaced, so that accepted input is explored as well as refused.
        form = valid | {name: data.draw(values, label=name) for name in chosen}
        before = _registrations()
        response = client.post(url, data=form)
        db.session.rollback()
        after = _registrations()
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        seen.add(response.status_code)
        if response.status_code == 302:
            assert after - before in (0, 1)  # 0: a repeated address or a bot in the honeypot
        else:
            assert after == before

    post_anything()
    assert {302, 400} <= seen
