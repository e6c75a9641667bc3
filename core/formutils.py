"""Form fields and helpers that events and campaigns share."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectMultipleField, validators
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.timeutils import LOCAL_TZ

REQUIRED = _l("Dit veld is verplicht.")
INVALID_MOMENT = _l("Vul een datum en tijd in, bijvoorbeeld 21-11-2026 19:30.")
YEARS = range(2000, 2100)


def plausible_year(form: FlaskForm, field: DateTimeLocalField) -> None:
    if field.data and field.data.year not in YEARS:
        raise ValidationError(_l("Kies een datum tussen 2000 en 2099."))


def local_datetime_field(label: Any, *validators: Any) -> DateTimeLocalField:
    """`<input type="datetime-local">` read and shown as Europe/Amsterdam wall-clock time."""
    return DateTimeLocalField(label, validators=[*validators, plausible_year],
                              format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], tz=LOCAL_TZ,
                              invalid_value_message=INVALID_MOMENT)


class InputRequired(validators.InputRequired):
    """WTForms' InputRequired for every form, where input of only white space counts as none: the
    filters (`webutils.single_line`, `strip`) would otherwise store "   " as an empty name."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        super().__call__(form, field)
        if isinstance(field.data, str) and not field.data.strip():
            field.errors[:] = []
            raise StopValidation(self.message or REQUIRED)


def label_choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def optional_str(value: object) -> str | None:
    return None if value is None else str(value)


class SingleChoiceField(RadioField):
    """Radio buttons whose emptiness is left to the validators (WTForms calls None "not a choice")."""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data is not None:
            super().pre_validate(form)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
