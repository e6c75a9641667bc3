"""Organisers' forms: an event, a custom question, a duplicate, a cancellation, a manual sign-up."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from accounts.models import Organisation
from core.formutils import InputRequired, label_choices, local_datetime_field
from core.timeutils import local_to_utc, utcnow
from core.webutils import single_line, strip
from events.forms.public import SignupForm
from events.labels import AUDIENCE_LABELS, KIND_LABELS, QUESTION_KIND_LABELS
from events.models import Audience, EventKind, QuestionKind
from events.services.lifecycle import MAX_REMINDER_HOURS
from events.services.management import CHOICE_KINDS, EventData, QuestionData

MAX_OPTIONS = 30
START_IN_PAST = _l("Dit begin ligt in het verleden. Klopt dat, vink dan hieronder aan dat het zo is; "
                   "anders kiest u een later moment.")
DEFAULT_REMINDER_HOURS = 24


def optional_utc(moment: datetime | None) -> datetime | None:
    return local_to_utc(moment) if moment else None


def none_if_empty(value: str | None) -> str | None:
    return value or None


def http_url(form: FlaskForm, field: Any) -> None:
    if field.data:
        parsed = urlparse(field.data)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationError(_l("Gebruik een link die begint met https:// of http://."))


def organisation_choices(organisations: list[Organisation]) -> list[SelectChoice]:
    return [SelectChoice(organisation.id, organisation.name) for organisation in organisations]


class EventForm(FlaskForm):
    organisation_id = SelectField(_l("Organisatie"), coerce=int,
                                  validators=[InputRequired(_l("Kies een organisatie."))])
    title = StringField(_l("Titel"), validators=[InputRequired(_l("Vul een titel in.")), Length(max=200)],
                        filters=[single_line])
    audience = SelectField(_l("Doelgroep"), choices=label_choices(AUDIENCE_LABELS),
                           validators=[InputRequired(_l("Kies een doelgroep."))])
    kind = SelectField(_l("Soort"), choices=label_choices(KIND_LABELS),
                       validators=[InputRequired(_l("Kies een soort."))])
    description = TextAreaField(_l("Beschrijving"), validators=[Optional(), Length(max=10000)], filters=[strip])
    starts_at = local_datetime_field(_l("Begint op"), InputRequired(_l("Vul in wanneer de bijeenkomst begint.")))
    ends_at = local_datetime_field(_l("Eindigt op"), InputRequired(_l("Vul in wanneer de bijeenkomst eindigt.")))
    venue_name = StringField(_l("Naam van de locatie"), validators=[Optional(), Length(max=200)], filters=[single_line])
    venue_address = StringField(_l("Adres"), validators=[Optional(), Length(max=300)], filters=[single_line])
    online_url = URLField(_l("Link naar de online bijeenkomst"), validators=[Optional(), Length(max=500), http_url],
                          filters=[strip])
    online_link_hours_before = IntegerField(
        _l("Link pas geven vanaf zoveel uur voor het begin"),
        validators=[Optional(),
                    NumberRange(min=1, max=MAX_REMINDER_HOURS, message=_l("Vul een aantal uren van 1 tot 336 in."))],
    )
    capacity = IntegerField(
        _l("Aantal plaatsen"),
        validators=[InputRequired(_l("Vul het aantal plaatsen in.")),
                    NumberRange(min=0, max=100000, message=_l("Vul een aantal van 0 tot 100.000 in."))],
    )
    waitlist_enabled = BooleanField(_l("Wachtlijst als de plaatsen vol zijn"), default=True)
    registration_opens_at = local_datetime_field(_l("Aanmelden kan vanaf"), Optional())
    registration_closes_at = local_datetime_field(_l("Aanmelden kan tot"), Optional())
    reminder_hours_before = IntegerField(
        _l("Herinnering zoveel uur voor het begin"), default=DEFAULT_REMINDER_HOURS,
        validators=[Optional(),
                    NumberRange(min=1, max=MAX_REMINDER_HOURS, message=_l("Vul een aantal uren van 1 tot 336 in."))],
    )
    reminder_text = TextAreaField(_l("Extra alinea in de herinnering"), validators=[Optional(), Length(max=2000)],
                                  filters=[strip])
    attended_text = TextAreaField(_l("Extra alinea in de bedankmail aan wie er was"),
                                  validators=[Optional(), Length(max=2000)], filters=[strip])
    no_show_text = TextAreaField(_l("Extra alinea in de mail aan wie niet kwam"),
                                 validators=[Optional(), Length(max=2000)], filters=[strip])
    start_in_past_confirmed = BooleanField(_l("Ja, het begin ligt echt in het verleden"))
    notify_registrants = BooleanField(_l("Deelnemers mailen over een gewijzigde tijd, plaats of link"), default=True)
    # The start the event has now (None for a new one): only a newly chosen start in the past is asked about.
    saved_starts_at: datetime | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self._check_moments() and self._check_place() and self._check_past_start() and valid

    @property
    def asks_about_past_start(self) -> bool:
        return START_IN_PAST in self.starts_at.errors or bool(self.start_in_past_confirmed.data)

    def _check_past_start(self) -> bool:
        """A start in the past is almost always a typo (a wrong year or month): it needs an explicit yes."""
        if not self.starts_at.data or self.start_in_past_confirmed.data:
            return True
        starts_at = local_to_utc(self.starts_at.data)
        saved = self.saved_starts_at.replace(second=0, microsecond=0) if self.saved_starts_at else None
        if starts_at >= utcnow() or starts_at == saved:  # the form shows minutes
            return True
        self.starts_at.errors.append(START_IN_PAST)
        return False

    def _check_moments(self) -> bool:
        starts, ends = self.starts_at.data, self.ends_at.data
        opens, closes = self.registration_opens_at.data, self.registration_closes_at.data
        if starts and ends and ends <= starts:
            self.ends_at.errors.append(_l("Het einde moet na het begin liggen."))
        if closes and ends and closes >= ends:
            self.registration_closes_at.errors.append(_l("Aanmelden moet sluiten vóór het einde van de bijeenkomst."))
        if opens and (closes or starts) and opens >= (closes or starts):
            # Without a closing moment, registration closes when the event starts.
            self.registration_opens_at.errors.append(_l("Aanmelden moet openen vóórdat het sluit."))
        return not (self.ends_at.errors or self.registration_closes_at.errors or self.registration_opens_at.errors)

    def _check_place(self) -> bool:
        if self.venue_name.data or self.venue_address.data or self.online_url.data:
            return True
        self.venue_name.errors.append(_l("Vul een locatie of een link naar de online bijeenkomst in."))
        return False

    def event_data(self) -> EventData:
        return EventData(
            organisation_id=self.organisation_id.data,
            title=self.title.data,
            audience=Audience(self.audience.data),
            kind=EventKind(self.kind.data),
            description=self.description.data or "",
            starts_at=local_to_utc(self.starts_at.data),
            ends_at=local_to_utc(self.ends_at.data),
            venue_name=none_if_empty(self.venue_name.data),
            venue_address=none_if_empty(self.venue_address.data),
            online_url=none_if_empty(self.online_url.data),
            capacity=self.capacity.data,
            waitlist_enabled=self.waitlist_enabled.data,
            registration_opens_at=optional_utc(self.registration_opens_at.data),
            registration_closes_at=optional_utc(self.registration_closes_at.data),
            reminder_hours_before=self.reminder_hours_before.data or DEFAULT_REMINDER_HOURS,
            reminder_text=none_if_empty(self.reminder_text.data),
            attended_text=none_if_empty(self.attended_text.data),
            no_show_text=none_if_empty(self.no_show_text.data),
            online_link_hours_before=self.online_link_hours_before.data if self.online_url.data else None,
        )


class PublishForm(FlaskForm):
    start_in_past_confirmed = HiddenField()


def event_form(organisations: list[Organisation], **kwargs: Any) -> EventForm:
    form = EventForm(**kwargs)
    form.organisation_id.choices = organisation_choices(organisations)
    event = kwargs.get("obj")
    form.saved_starts_at = event.starts_at if event is not None else None
    return form


class QuestionForm(FlaskForm):
    label = StringField(_l("Vraag"), validators=[InputRequired(_l("Vul de vraag in.")), Length(max=300)],
                        filters=[single_line])
    help_text = StringField(_l("Toelichting"), validators=[Optional(), Length(max=500)], filters=[single_line])
    kind = SelectField(_l("Soort antwoord"), choices=label_choices(QUESTION_KIND_LABELS),
                       validators=[InputRequired(_l("Kies een soort antwoord."))])
    required = BooleanField(_l("Verplicht"))
    # Not named "options": filled from a Question, the stored list would win over the text.
    option_lines = TextAreaField(_l("Keuzes"), description=_l("Eén keuze per regel; alleen bij een keuzevraag."),
                                 validators=[Length(max=5000)])

    def option_list(self) -> list[str]:
        return [line.strip() for line in (self.option_lines.data or "").splitlines() if line.strip()]

    def validate_option_lines(self, field: TextAreaField) -> None:
        options = self.option_list()
        if self.kind.data not in CHOICE_KINDS:
            if options:
                raise ValidationError(_l("Alleen een keuzevraag heeft keuzes; laat dit veld leeg."))
            return
        if not options:
            raise ValidationError(_l("Vul minstens één keuze in, één per regel."))
        if len({option.casefold() for option in options}) != len(options):
            raise ValidationError(_l("Elke keuze mag maar één keer voorkomen."))
        if len(options) > MAX_OPTIONS or any(len(option) > 200 for option in options):
            raise ValidationError(_l("Gebruik hoogstens 30 keuzes van elk hoogstens 200 tekens."))

    def question_data(self) -> QuestionData:
        return QuestionData(
            label=self.label.data,
            help_text=none_if_empty(self.help_text.data),
            kind=QuestionKind(self.kind.data),
            required=self.required.data,
            options=self.option_list(),
        )


class DuplicateForm(FlaskForm):
    organisation_id = SelectField(_l("Organisatie van de kopie"), coerce=int,
                                  validators=[InputRequired(_l("Kies een organisatie."))])
    starts_at = local_datetime_field(_l("Begint op"), InputRequired(_l("Vul in wanneer de kopie begint.")))


def duplicate_form(organisations: list[Organisation], **kwargs: Any) -> DuplicateForm:
    form = DuplicateForm(**kwargs)
    form.organisation_id.choices = organisation_choices(organisations)
    return form


class CancelEventForm(FlaskForm):
    reason = TextAreaField(_l("Reden (staat op de openbare pagina en in de e-mail)"),
                           validators=[Optional(), Length(max=1000)], filters=[strip])


class ManualRegistrationForm(FlaskForm):
    """The organiser adds a person: the public form's person fields, without questions."""

    name = SignupForm.name
    email = SignupForm.email
    company_name = SignupForm.company_name
    phone = SignupForm.phone
