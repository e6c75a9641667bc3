"""The public sign-up form, built per event from its custom questions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import AnyOf, Email, Length, Optional, Regexp

from core.formutils import InputRequired, MultiCheckboxField, SingleChoiceField, optional_str
from core.webutils import NOT_OFFERED, single_line, strip
from events.models import Audience, Event, Question, QuestionKind
from events.signals import signup_section_wanted


@dataclass(frozen=True)
class SignupSection:
    """Fields another feature adds to an event's sign-up form, under their own heading."""

    heading: str
    intro: str
    fields: dict[str, Field]  # unbound fields by name


class AnswersForm(FlaskForm):
    """A form with one `question_<id>` field per custom question of the event."""

    def question_fields(self) -> list[Field]:
        return [field for field in self if field.name.startswith("question_")]

    def answers(self) -> dict[str, Any]:
        return {field.name.removeprefix("question_"): field.data for field in self.question_fields()}


class SignupForm(AnswersForm):
    name = StringField(_l("Naam"), validators=[InputRequired(_l("Vul uw naam in.")), Length(max=200)],
                       filters=[single_line])
    email = EmailField(
        _l("E-mailadres"),
        validators=[InputRequired(_l("Vul uw e-mailadres in.")),
                    Email(_l("Dit is geen geldig e-mailadres.")), Length(max=254)],
        filters=[strip],
    )
    company_name = StringField(_l("Naam van uw bedrijf of organisatie"),
                               validators=[Optional(), Length(max=200)], filters=[single_line])
    phone = TelField(
        _l("Telefoonnummer"),
        validators=[Optional(), Length(max=40),
                    Regexp(r"^\+?[0-9][0-9 ()-]{5,39}$", message=_l("Gebruik alleen cijfers, spaties, + en -."))],
        filters=[strip],
    )
    keep_informed = BooleanField(_l("Houd mij per e-mail op de hoogte van nieuwe bijeenkomsten en tips"))
    # Honeypot: hidden from people by CSS; bots fill every field.
    website = StringField(_l("Laat dit veld leeg"), validators=[Optional(), Length(max=200)])

    sections: tuple[SignupSection, ...] = ()

    def is_bot(self) -> bool:
        return bool(self.website.data)

    def section_fields(self, section: SignupSection) -> list[Field]:
        return [self[name] for name in section.fields]

    def section_answers(self) -> dict[str, Any]:
        return {name: self[name].data for section in self.sections for name in section.fields}


def _question_field(question: Question) -> Field:
    required = [InputRequired(_l("Dit veld is verplicht."))] if question.required else [Optional()]
    label, hint = question.label, question.help_text or None
    choices = list(question.options)
    match question.kind:
        case QuestionKind.SHORT_TEXT:
            return StringField(label, validators=[*required, Length(max=300)], filters=[single_line], description=hint)
        case QuestionKind.LONG_TEXT:
            return TextAreaField(label, validators=[*required, Length(max=2000)], filters=[strip], description=hint)
        case QuestionKind.SINGLE_CHOICE:
            return SingleChoiceField(label, choices=choices, validators=required, description=hint,
                                     coerce=optional_str, invalid_choice_message=NOT_OFFERED)
        case QuestionKind.MULTIPLE_CHOICE:
            return MultiCheckboxField(label, choices=choices, validators=required, description=hint,
                                      invalid_choice_message=NOT_OFFERED)
        case QuestionKind.CHECKBOX:
            return BooleanField(label, validators=required, description=hint)
    raise ValueError(f"unknown question kind {question.kind}")


def signup_form_for(event: Event, **kwargs: Any) -> SignupForm:
    class EventSignupForm(SignupForm):
        pass

    answers = signup_section_wanted.send(current_app._get_current_object(), event=event)
    EventSignupForm.sections = tuple(answer for _receiver, answer in answers if isinstance(answer, SignupSection))
    for section in EventSignupForm.sections:
        for name, unbound in section.fields.items():
            setattr(EventSignupForm, name, unbound)
    return _with_event_fields(EventSignupForm, event)(**kwargs)


class DetailsForm(AnswersForm):
    """What a person may correct on their own registration; the e-mail address is not among them
    (it is where the manage link goes, and a new one would need confirming first)."""

    name = SignupForm.name
    company_name = SignupForm.company_name
    phone = SignupForm.phone

def details_form_for(event: Event, **kwargs: Any) -> DetailsForm:
    class EventDetailsForm(DetailsForm):
        pass

    return _with_event_fields(EventDetailsForm, event)(**kwargs)


class CancelRegistrationForm(FlaskForm):
    """The second step of cancelling: only this page's form carries `confirmed`, so a stray POST
    (a double click on the manage page, a link scanner) cancels nothing."""

    confirmed = HiddenField(validators=[AnyOf(["ja"], message=_l("Bevestig dat u wilt annuleren."))])


def _with_event_fields(form_class: type[Any], event: Event) -> type[Any]:
    """Adds the event's fields to a form class made for it: company name required for SMEs, the questions."""
    if event.audience == Audience.SMES:
        form_class.company_name = StringField(
            _l("Naam van uw bedrijf"),
            validators=[InputRequired(_l("Vul de naam van uw bedrijf in.")), Length(max=200)],
            filters=[single_line],
        )
    for question in event.questions:
        setattr(form_class, f"question_{question.id}", _question_field(question))
    return form_class
