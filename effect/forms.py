"""The public forms (evaluation, knowledge check before, follow-up) and the organiser's settings."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, IntegerField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from core.formutils import MultiCheckboxField, SingleChoiceField, label_choices, optional_str
from core.webutils import NOT_OFFERED, single_line, strip
from effect.catalogue import INCIDENTS, KNOWLEDGE, MEASURES, MIN_KNOWLEDGE, REPORTED, knowledge_options
from effect.models import MAX_FOLLOWUP_DAYS, MIN_FOLLOWUP_DAYS
from effect.services import Evaluation, Settings

SCALE_CHOICES = [SelectChoice("1", _l("1 – helemaal niet")), SelectChoice("2", "2"), SelectChoice("3", "3"),
                 SelectChoice("4", "4"), SelectChoice("5", _l("5 – heel erg"))]
COMMENT_MAX = 2000
CHOOSE = _l("Kies een antwoord.")


def _scale(label: Any) -> SingleChoiceField:
    return SingleChoiceField(label, choices=SCALE_CHOICES, coerce=optional_str, validators=[InputRequired(CHOOSE)],
                             invalid_choice_message=NOT_OFFERED)


def _knowledge_field(key: str, *, required: bool = True) -> SingleChoiceField:
    return SingleChoiceField(KNOWLEDGE[key].text, choices=knowledge_options(key), coerce=optional_str,
                             validators=[InputRequired(CHOOSE) if required else Optional()],
                             invalid_choice_message=NOT_OFFERED)


def signup_knowledge_fields(settings: Settings) -> dict[str, SingleChoiceField]:
    """The knowledge check on the sign-up form itself: the same questions, none of them required."""
    return {f"knowledge_{key}": _knowledge_field(key, required=False) for key in settings.knowledge_questions}


def knowledge_from_fields(answers: dict[str, Any]) -> dict[str, int]:
    """The answered knowledge questions among a sign-up's added fields, by question key."""
    return {name.removeprefix("knowledge_"): int(value) for name, value in answers.items()
            if name.startswith("knowledge_") and value not in (None, "")}


class KnowledgeForm(FlaskForm):
    def knowledge_fields(self) -> list[Field]:
        return [field for field in self if field.name.startswith("knowledge_")]

    def knowledge_answers(self) -> dict[str, int]:
        return {field.name.removeprefix("knowledge_"): int(field.data) for field in self.knowledge_fields()}


class EvaluationForm(KnowledgeForm):
    respondent_name = StringField(_l("Uw naam (niet verplicht)"), filters=[single_line],
                                  validators=[Optional(), Length(max=200, message=_l(
                                      "Gebruik hoogstens %(max)d tekens."))],
                                  description=_l("De organisator vraagt bij deze bijeenkomst om uw naam, bijvoorbeeld "
                                                 "om op uw opmerkingen te kunnen reageren. Leeg laten mag."))
    satisfaction = _scale(_l("Hoe tevreden bent u over de bijeenkomst?"))
    usefulness = _scale(_l("Hoe nuttig was de bijeenkomst voor u?"))
    comment = TextAreaField(_l("Wat wilt u ons nog meegeven?"), filters=[strip],
                            validators=[Optional(), Length(max=COMMENT_MAX, message=_l(
                                "Gebruik hoogstens %(max)d tekens."))],
                            description=_l("Schrijf hier liever geen namen of andere persoonsgegevens."))
    experience_consent = BooleanField(_l(
        "Ik beantwoord ook de vragen hieronder over wat ik de afgelopen 12 maanden heb meegemaakt. "
        "Mijn antwoorden worden alleen samengeteld getoond."))
    experienced = MultiCheckboxField(_l("Wat heeft u of uw bedrijf de afgelopen 12 maanden meegemaakt?"),
                                     choices=label_choices(INCIDENTS),
                                     invalid_choice_message=NOT_OFFERED)
    reported = MultiCheckboxField(_l("Heeft u dat gemeld?"), choices=label_choices(REPORTED),
                                  invalid_choice_message=NOT_OFFERED)

    def validate_experienced(self, field: MultiCheckboxField) -> None:
        if (field.data or self.reported.data) and not self.experience_consent.data:
            raise ValidationError(_l("Vink eerst aan dat u deze vragen wilt beantwoorden, of laat ze leeg."))

    def evaluation(self) -> Evaluation:
        return Evaluation(
            satisfaction=int(self.satisfaction.data),
            usefulness=int(self.usefulness.data),
            intentions=list(self.intentions.data or []),
            comment=self.comment.data or None,
            knowledge_after=self.knowledge_answers(),
            experience_consent=bool(self._asked("experience_consent")),
            experienced=list(self._asked("experienced") or []),
            reported=list(self._asked("reported") or []),
            respondent_name=self._asked("respondent_name"),
        )

    def _asked(self, name: str) -> Any:
        """A field's answer, None for a field this event's form leaves out (its settings)."""
        return self[name].data if name in self else None


def evaluation_form_for(settings: Settings, **kwargs: Any) -> EvaluationForm:
    class EventEvaluationForm(EvaluationForm):
        pass

    EventEvaluationForm.intentions = MultiCheckboxField(
        _l("Wat gaat u nu doen?"), choices=[SelectChoice(key, MEASURES[key]) for key in settings.measures if key in MEASURES],
        description=_l("Kies alles wat u van plan bent."), invalid_choice_message=NOT_OFFERED)
    if settings.open_question:
        EventEvaluationForm.comment = TextAreaField(
            settings.open_question, filters=[strip],
            validators=[Optional(), Length(max=COMMENT_MAX, message=_l("Gebruik hoogstens %(max)d tekens."))],
            description=_l("Schrijf hier liever geen namen of andere persoonsgegevens."))
    for key in settings.knowledge_questions:
        setattr(EventEvaluationForm, f"knowledge_{key}", _knowledge_field(key))
    form = EventEvaluationForm(**kwargs)
    if not settings.ask_experience:
        for name in ("experience_consent", "experienced", "reported"):
            del form[name]
    if not settings.ask_names:
        del form["respondent_name"]
    return form


def knowledge_form_for(settings: Settings, **kwargs: Any) -> KnowledgeForm:
    class EventKnowledgeForm(KnowledgeForm):
        pass

    for key in settings.knowledge_questions:
        setattr(EventKnowledgeForm, f"knowledge_{key}", _knowledge_field(key))
    return EventKnowledgeForm(**kwargs)


class FollowupForm(FlaskForm):
    actions = MultiCheckboxField(_l("Wat heeft u inmiddels gedaan?"), invalid_choice_message=NOT_OFFERED,
                                 description=_l("Kies alles wat u heeft gedaan. Niets gedaan? Laat alles leeg."))


def followup_form_for(intentions: list[str], **kwargs: Any) -> FollowupForm:
    form = FollowupForm(**kwargs)
    form.actions.choices = [SelectChoice(key, MEASURES[key]) for key in intentions if key in MEASURES]
    return form


class SettingsForm(FlaskForm):
    evaluation_enabled = BooleanField(_l("Vragenlijst na afloop sturen aan wie er was"))
    measures = MultiCheckboxField(_l("Maatregelen in de vraag 'Wat gaat u nu doen?'"),
                                  choices=label_choices(MEASURES),
                                  invalid_choice_message=NOT_OFFERED)
    knowledge_questions = MultiCheckboxField(
        _l("Kennisvragen (vooraf en na afloop)"),
        choices=[SelectChoice(key, question.text) for key, question in KNOWLEDGE.items()],
        description=_l("Kies er 3 tot 5, of geen (dan geen kennisvragen)."), invalid_choice_message=NOT_OFFERED)
    ask_experience = BooleanField(_l("Vragen wat mensen de afgelopen 12 maanden hebben meegemaakt (met eigen toestemming)"))
    followup_days = IntegerField(
        _l("Vervolgvraag na hoeveel dagen"),
        validators=[InputRequired(_l("Vul een aantal dagen in.")), NumberRange(
            MIN_FOLLOWUP_DAYS, MAX_FOLLOWUP_DAYS, _l("Kies tussen %(min)s en %(max)s dagen."))])
    open_question = StringField(_l("Eigen open vraag (leeg: de standaardvraag)"), filters=[single_line],
                                validators=[Optional(), Length(max=300)])
    ask_names = BooleanField(_l("Om namen vragen in de vragenlijst (niet verplicht voor de deelnemer)"),
                             description=_l("Standaard uit: dan zijn de antwoorden anoniem zodra de koppeling met de "
                                            "aanmelding vervalt. Aan: het formulier en de privacyverklaring melden het, "
                                            "en namen zijn persoonsgegevens (op te vragen en te wissen)."))

    def validate_knowledge_questions(self, field: MultiCheckboxField) -> None:
        if field.data and len(field.data) < MIN_KNOWLEDGE:
            raise ValidationError(_l("Kies minstens 3 kennisvragen, of geen."))

    def settings(self) -> Settings:
        return Settings(
            evaluation_enabled=bool(self.evaluation_enabled.data),
            measures=list(self.measures.data or []),
            knowledge_questions=list(self.knowledge_questions.data or []),
            ask_experience=bool(self.ask_experience.data),
            followup_days=int(self.followup_days.data),
            open_question=self.open_question.data or None,
            ask_names=bool(self.ask_names.data),
        )
