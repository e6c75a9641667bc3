"""The shared required check: white space alone is no answer, in every form that uses it."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, StringField

from core.formutils import InputRequired
from core.webutils import single_line, strip


class NameForm(FlaskForm):
    name = StringField(validators=[InputRequired("Vul uw naam in.")], filters=[single_line])
    note = StringField(validators=[InputRequired()], filters=[strip])
    seats = IntegerField(validators=[InputRequired("Vul het aantal in.")])


def _errors(app: Flask, **data: str) -> dict[str, list[str]]:
    with app.test_request_context(method="POST"):
        form = NameForm(formdata=MultiDict({"name": "Anna", "note": "x", "seats": "3"} | data), meta={"csrf": False})
        form.validate()
        return form.errors


@pytest.mark.parametrize("blank", ["", " ", "   ", "\t\n", "\u00a0\u2003"])
def test_white_space_alone_is_refused_as_missing(app: Flask, blank: str) -> None:
    assert _errors(app, name=blank)["name"] == ["Vul uw naam in."]


def test_without_its_own_message_the_field_is_verplicht(app: Flask) -> None:
    assert _errors(app, note="  ")["note"] == ["Dit veld is verplicht."]


def test_a_name_with_spaces_around_it_is_kept_and_zero_is_an_answer(app: Flask) -> None:
    assert _errors(app, name="  Anna  ", seats="0") == {}
