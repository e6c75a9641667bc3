"""Forms: subscribe and preferences (public), campaign authoring, lists and import (admin)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, NumberRange, Optional, ValidationError

from campaigns.labels import AUDIENCE_LABELS, EVENT_RELATION_LABELS, TOPIC_LABELS
from campaigns.models import ConsentSource, ContactAudience, EventRelation, Topic
from campaigns.services.campaigns import LIBRARY
from campaigns.services.consent import Subscription
from campaigns.services.contacts import valid_email
from core.formutils import InputRequired, MultiCheckboxField, SingleChoiceField, label_choices, local_datetime_field, optional_str
from core.webutils import NOT_OFFERED, single_line, strip

MAX_TEST_ADDRESSES = 10


def _enum_or_none(enum_class: type) -> Any:
    return lambda value: enum_class(value) if value not in (None, "", "None") else None


def _with_empty(empty_label: Any, labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice("", empty_label), *label_choices(labels)]


def _int_or_none(value: object) -> int | None:
    return int(value) if value not in (None, "", "None") else None


EMAIL_LABEL = _l("E-mailadres")


def email_field(label: Any = EMAIL_LABEL) -> EmailField:
    return EmailField(label, validators=[InputRequired(_l("Vul uw e-mailadres in.")),
                                         Email(_l("Dit is geen geldig e-mailadres.")), Length(max=254)],
                      filters=[strip])


def audience_field(required: bool) -> SingleChoiceField:
    validators = [InputRequired(_l("Kies of u inwoner of ondernemer bent."))] if required else [Optional()]
    return SingleChoiceField(_l("Ik ontvang berichten als"), choices=label_choices(AUDIENCE_LABELS),
                             validators=validators, coerce=optional_str, invalid_choice_message=NOT_OFFERED)


def topics_field() -> MultiCheckboxField:
    return MultiCheckboxField(_l("Onderwerpen"), choices=label_choices(TOPIC_LABELS), validators=[Optional()],
                              invalid_choice_message=NOT_OFFERED)


class PreferencesForm(FlaskForm):
    audience = audience_field(required=True)
    municipality = StringField(_l("Woonplaats of gemeente"), validators=[Optional(), Length(max=100)],
                               filters=[single_line])
    topics = topics_field()


class SubscribeForm(PreferencesForm):
    email = email_field()
    name = StringField(_l("Naam"), validators=[Optional(), Length(max=200)], filters=[single_line])
    consent = BooleanField(_l("Ik wil e-mail ontvangen over digitale weerbaarheid en kan me altijd afmelden."),
                           validators=[InputRequired(_l("Geef toestemming om u te mailen."))])

    def subscription(self, ip_address: str | None) -> Subscription:
        return Subscription(
            email=self.email.data, name=self.name.data or None, audience=ContactAudience(self.audience.data),
            municipality=self.municipality.data or None, topics=tuple(Topic(t) for t in self.topics.data or []),
            source=ConsentSource.SUBSCRIBE_FORM, ip_address=ip_address,
        )


class EmbeddedSubscribeForm(SubscribeForm):
    """The subscribe form inside an organisation's iframe. A third-party frame gets no session cookie, so the
    CSRF proof is the signed form token (campaigns/views/embed.py) and the request's own Origin, not the session."""

    class Meta:
        csrf = False

    form_token = HiddenField()


class NewCampaignForm(FlaskForm):
    name = StringField(_l("Naam van de campagne"), validators=[InputRequired(_l("Geef de campagne een naam.")),
                                                                Length(max=200)], filters=[single_line])
    template = SingleChoiceField(_l("Sjabloon"), choices=label_choices(LIBRARY), coerce=optional_str,
                                 validators=[InputRequired(_l("Kies een sjabloon."))],
                                 invalid_choice_message=NOT_OFFERED)


class TemplateNameForm(FlaskForm):
    """The name of an organisation's own template: when a campaign is kept as one, and to rename it."""
    name = StringField(_l("Naam van het sjabloon"), validators=[InputRequired(_l("Geef het sjabloon een naam.")),
                                                                 Length(max=200)], filters=[single_line])


class NewTemplateForm(TemplateNameForm):
    """A new own template from a shipped one (the blank design is starting from scratch)."""
    template = SingleChoiceField(_l("Beginnen met"), choices=label_choices(LIBRARY), coerce=optional_str,
                                 validators=[InputRequired(_l("Kies een sjabloon."))],
                                 invalid_choice_message=NOT_OFFERED)


class TemplateSourceForm(FlaskForm):
    """A saved template's raw MJML (power users); the layout and footer are checked on save."""
    mjml_source = TextAreaField(_l("MJML-bron"), validators=[InputRequired(_l("Vul de MJML-bron in.")),
                                                             Length(max=200_000)])


class CampaignForm(FlaskForm):
    name = StringField(_l("Naam van de campagne"), validators=[InputRequired(_l("Geef de campagne een naam.")),
                                                                Length(max=200)], filters=[single_line])
    subject = StringField(_l("Onderwerp"), validators=[InputRequired(_l("Vul een onderwerp in.")), Length(max=200)],
                          filters=[single_line])
    preheader = StringField(_l("Voorvertoningstekst"), validators=[Optional(), Length(max=200)],
                            filters=[single_line],
                            description=_l("De regel die mailprogramma's na het onderwerp tonen."))
    sender_name = StringField(_l("Naam afzender"), validators=[InputRequired(_l("Vul de naam van de afzender in.")),
                                                               Length(max=200)], filters=[single_line])
    sender_address = email_field(_l("E-mailadres afzender"))
    mjml_source = TextAreaField(_l("MJML-bron"), validators=[InputRequired(_l("De template is leeg.")),
                                                            Length(max=200_000)],
                                render_kw={"rows": 30, "spellcheck": "false"})
    list_id = SelectField(_l("Lijst"), coerce=_int_or_none, validate_choice=True, invalid_choice_message=NOT_OFFERED)
    tag_id = SelectField(_l("Label"), coerce=_int_or_none, validate_choice=True, invalid_choice_message=NOT_OFFERED)
    audience_type = SelectField(_l("Doelgroep"), coerce=_enum_or_none(ContactAudience),
                                choices=_with_empty(_l("Iedereen"), AUDIENCE_LABELS),
                                invalid_choice_message=NOT_OFFERED)
    municipality = StringField(_l("Woonplaats of gemeente"), validators=[Optional(), Length(max=100)],
                               filters=[single_line])
    topic = SelectField(_l("Onderwerp van interesse"), coerce=_enum_or_none(Topic),
                        choices=_with_empty(_l("Alle onderwerpen"), TOPIC_LABELS),
                        invalid_choice_message=NOT_OFFERED)
    event_relation = SelectField(_l("Eerdere bijeenkomst"), coerce=_enum_or_none(EventRelation),
                                 choices=_with_empty(_l("Maakt niet uit"), EVENT_RELATION_LABELS),
                                 invalid_choice_message=NOT_OFFERED)
    event_id = SelectField(_l("Bijeenkomst"), coerce=_int_or_none, invalid_choice_message=NOT_OFFERED)
    track_clicks = BooleanField(_l("Kliks tellen per link"),
                                description=_l("Links gaan dan via een doorverwijzing van ons. We tellen kliks per "
                                               "link, niet wie er klikt."))
    event_ids = MultiCheckboxField(_l("Bijeenkomsten in de uitnodiging"), coerce=int, validators=[Optional()],
                                   invalid_choice_message=NOT_OFFERED)

    def validate_event_id(self, field: SelectField) -> None:
        if bool(field.data) != bool(self.event_relation.data):
            raise ValidationError(
                _l("Kies zowel de bijeenkomst als hoe de ontvanger eraan deelnam, of geen van beide."))


class TestSendForm(FlaskForm):
    addresses = TextAreaField(_l("Testadressen"), validators=[InputRequired(_l("Vul minstens één adres in."))],
                              description=_l("Eén adres per regel, hoogstens tien."))

    def validate_addresses(self, field: TextAreaField) -> None:
        addresses = self.address_list()
        if len(addresses) > MAX_TEST_ADDRESSES:
            raise ValidationError(_l("Hoogstens tien adressen."))
        wrong = [line for line in field.data.replace(",", "\n").splitlines() if line.strip() and not valid_email(line)]
        if wrong:
            raise ValidationError(_l("Geen geldig e-mailadres: %(addresses)s", addresses=", ".join(wrong)))

    def address_list(self) -> list[str]:
        lines = (self.addresses.data or "").replace(",", "\n").splitlines()
        return list(dict.fromkeys(address for line in lines if (address := valid_email(line))))


class ScheduleForm(FlaskForm):
    moment = local_datetime_field(_l("Versturen op"), InputRequired(_l("Kies een datum en tijd.")))


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV-bestand"), validators=[FileRequired(_l("Kies een bestand."))],
                     description=_l("Met kopregel; gescheiden door komma's of puntkomma's. UTF-8 of Windows-1252."))


class ContactForm(FlaskForm):
    """What an admin may change of a contact; never the address (consent belongs to an address)."""

    name = StringField(_l("Naam"), validators=[Optional(), Length(max=200)], filters=[single_line])
    audience = SelectField(_l("Doelgroep"), coerce=_enum_or_none(ContactAudience),
                           choices=_with_empty(_l("Onbekend"), AUDIENCE_LABELS), invalid_choice_message=NOT_OFFERED)
    municipality = StringField(_l("Woonplaats of gemeente"), validators=[Optional(), Length(max=100)],
                               filters=[single_line])
    topics = topics_field()
    list_ids = MultiCheckboxField(_l("Lijsten"), coerce=int, validators=[Optional()], invalid_choice_message=NOT_OFFERED)
    tag_ids = MultiCheckboxField(_l("Labels"), coerce=int, validators=[Optional()], invalid_choice_message=NOT_OFFERED)


class SubjectTestForm(FlaskForm):
    subject_b = StringField(_l("Onderwerp B"), validators=[InputRequired(_l("Vul onderwerp B in.")), Length(max=200)],
                            filters=[single_line])
    test_percent = IntegerField(_l("Testgroep (procent van de ontvangers)"), default=20,
                                validators=[InputRequired(_l("Kies een percentage.")),
                                            NumberRange(2, 50, _l("Kies een percentage van 2 tot en met 50."))])
    wait_minutes = IntegerField(_l("Wachttijd voor de winnaar (minuten)"), default=240,
                                validators=[InputRequired(_l("Kies een wachttijd.")),
                                            NumberRange(10, 10080, _l("Kies een wachttijd van 10 minuten tot 7 dagen."))])
